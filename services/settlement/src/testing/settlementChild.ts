// The settlement service as a child process for the crash tests (payouts, withdrawals): started
// on a dev chain with the test's settings, killed at a crash point (testing/serviceProcess.ts),
// restarted, and the chain's blocks built while an attempt's era runs out.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EscrowChain } from './chain.ts';

const entry = fileURLToPath(new URL('./serviceProcess.ts', import.meta.url));

export type CrashPoint = 'signed' | 'finalized';

/** Starts the service; resolves once it says it is ready. `env` adds to the chain's settings. */
export function startSettlementChild(fx: EscrowChain, env: Record<string, string>, crashAt?: CrashPoint): Promise<ChildProcess> {
  const p = spawn(process.execPath, [entry], {
    env: {
      ...process.env,
      VILO_CHAIN_WS_URL: fx.chain.wsUrl,
      VILO_CHAIN_SIGNER_URI: fx.escrowUri,
      VILO_CHAIN_POLL_MS: '200',
      VILO_CHAIN_ERA_PERIOD: '8',
      VILO_RECONCILE_INTERVAL_MS: '0',
      VILO_LOG_LEVEL: 'error',
      ...env,
      ...(crashAt ? { VILO_TEST_CRASH_AT: crashAt } : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    p.once('exit', (code, signal) => reject(new Error(`settlement exited early (${code ?? signal})`)));
    p.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('settlement ready')) {
        p.removeAllListeners('exit');
        resolve(p);
      }
    });
  });
}

/** The signal the process ended with. */
export const exited = (p: ChildProcess): Promise<NodeJS.Signals | null> => new Promise((r) => p.once('exit', (_code, signal) => r(signal)));

/** Chopsticks in instant mode builds no block by itself: build them while `run` waits for an era to run out. */
export async function whileBuildingBlocks<T>(fx: EscrowChain, run: () => Promise<T>): Promise<T> {
  let done = false;
  const blocks = (async () => {
    while (!done) {
      await fx.chain.newBlock();
      await new Promise((r) => setTimeout(r, 300));
    }
  })();
  try {
    return await run();
  } finally {
    done = true;
    await blocks;
  }
}
