// The settlement service as a child process for payout crash tests. VILO_TEST_CRASH_AT:
//   signed:    SIGKILL as soon as the payout extrinsic is signed, before it is sent;
//   finalized: SIGKILL once the chain has finalized the payout, before the ledger records it.
// Either way the restarted service must pay each creator exactly once.
import type { ProcessHooks } from '../runProcess.ts';
import { runSettlementProcess } from '../runProcess.ts';

const at = process.env.VILO_TEST_CRASH_AT;
const die = (): never => {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
};
const hooks: ProcessHooks = {
  chain: {
    onSigned: () => {
      if (at === 'signed') die();
    },
    beforeRecord: (batchId, result) => {
      if (at !== 'finalized') return;
      process.stdout.write(`crashing before recording ${batchId}: ${result === null ? 'null' : 'status' in result ? result.status : result.success}\n`);
      die();
    },
  },
};
await runSettlementProcess(hooks);
