// Settlement service: `node services/settlement/src/main.ts`. Folds closed tick windows from
// Redis into the ledger every VILO_SETTLEMENT_INTERVAL_MS and, with VILO_CHAIN_WS_URL set,
// credits deposits, pays creators every VILO_PAYOUT_INTERVAL_MINUTES and reconciles the chain
// with the ledger (docs/money.md). Stops cleanly on SIGTERM.
import { runSettlementProcess } from './runProcess.ts';

await runSettlementProcess();
