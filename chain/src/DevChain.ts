import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, decodeAddress } from '@polkadot/util-crypto';
import pino, { type Logger } from 'pino';

export type BlockMode = 'instant' | 'manual';

export interface DevChainOptions {
  /** Preferred port; chopsticks moves up to 9 ports on if it is taken. Default: any free port. */
  port?: number;
  /** `instant` builds a block per submitted transaction; `manual` only on `newBlock`. */
  blockMode?: BlockMode;
  /** Extra addresses (SS58 or 0x account id) to fund besides the dev accounts. */
  fund?: string[];
  /** Free balance per funded account, planck. Default 1,000,000 ROC. */
  fundAmount?: bigint;
  log?: Logger;
  /** How long to wait for the RPC server. */
  startTimeoutMs?: number;
}

export interface NewBlockOptions {
  /**
   * Build the blocks from exactly these signed extrinsics instead of the pool. Whatever sits
   * in the pool stays there, which is how tests keep a transaction out of blocks until its era ends.
   */
  transactions?: string[];
}

export const DEV_ACCOUNTS = ['//Alice', '//Bob', '//Charlie', '//Dave', '//Eve', '//Ferdie'] as const;
/** 1,000,000 ROC at 12 decimals. */
export const DEFAULT_FUND_AMOUNT = 10n ** 18n;

/**
 * Preloaded into chopsticks: exits, removing the temp dir, when our end of its stdin closes.
 * That happens however we die, SIGKILL included, so chopsticks never outlives its parent.
 * Preloads also run in chopsticks' worker threads, whose stdin ends at once: main thread only.
 */
const WATCHDOG = `if (require('node:worker_threads').isMainThread) {
  const bye = () => { require('node:fs').rmSync(__dirname, { recursive: true, force: true }); process.exit(0); };
  process.stdin.on('end', bye).on('error', bye).resume();
}
`;

const LISTEN_RE = /RPC listening on \S+ and ws:\/\/([^\s:]+):(\d+)/;

/**
 * A local Rococo Asset Hub (runtime statemine 900) run by chopsticks from the genesis that
 * ships in @substrate/connect-known-chains, so it needs no network. Chopsticks runs as a
 * child process because in-process it keeps Node alive after close.
 * Finality: chopsticks treats every new head as finalized at once.
 */
export class DevChain {
  readonly wsUrl: string;
  readonly httpUrl: string;
  readonly #child: ChildProcess;
  readonly #dir: string;
  readonly #log: Logger;
  #closed: Promise<void> | undefined;
  #rpcId = 0;

  private constructor(child: ChildProcess, dir: string, host: string, port: number, log: Logger) {
    this.#child = child;
    this.#dir = dir;
    this.#log = log;
    this.wsUrl = `ws://${host}:${port}`;
    this.httpUrl = `http://${host}:${port}`;
  }

  static async start(opts: DevChainOptions = {}): Promise<DevChain> {
    const log = (opts.log ?? pino({ name: 'devchain', level: 'info' })).child({ component: 'devchain' });
    const t0 = Date.now();
    const dir = await mkdtemp(join(tmpdir(), 'vilo-devchain-'));
    try {
      const { chainSpec } = await import('@substrate/connect-known-chains/rococo_v2_2_asset_hub');
      const genesis = join(dir, 'genesis.json');
      const storage = join(dir, 'storage.json');
      await writeFile(genesis, chainSpec);
      await writeFile(storage, JSON.stringify(await fundingStorage(opts.fund ?? [], opts.fundAmount ?? DEFAULT_FUND_AMOUNT)));
      const watchdog = join(dir, 'watchdog.cjs');
      await writeFile(watchdog, WATCHDOG);
      const mode = opts.blockMode === 'manual' ? 'Manual' : 'Instant';
      const args = ['--require', watchdog, chopsticksEntry(), '--genesis', genesis, '--host', '127.0.0.1', '--port', String(opts.port ?? 0),
        '--import-storage', storage, '--build-block-mode', mode];
      log.info({ mode, fund: opts.fund?.length ?? 0 }, 'starting chopsticks');
      // Same Node binary as ours: the machine default may be too old for chopsticks.
      const child = spawn(process.execPath, args, {
        cwd: dir,
        env: { ...process.env, LOG_LEVEL: 'info', LOG_COMPACT: 'true', DISABLE_PLUGINS: 'true' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const killOnExit = (): void => void child.kill('SIGKILL');
      process.once('exit', killOnExit);
      child.once('exit', () => process.removeListener('exit', killOnExit));
      const { host, port } = await waitForListen(child, log, opts.startTimeoutMs ?? 90_000);
      const chain = new DevChain(child, dir, host, port, log);
      const head = await chain.#waitForRpc(opts.startTimeoutMs ?? 90_000);
      log.info({ wsUrl: chain.wsUrl, head, ms: Date.now() - t0 }, 'dev chain ready');
      return chain;
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** One JSON-RPC call over HTTP; dev_* methods are not in @polkadot/api's typed RPC. */
  async rpc<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    const res = await fetch(this.httpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++this.#rpcId, method, params }),
    });
    const body = (await res.json()) as { result?: T; error?: { message: string } };
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result as T;
  }

  /** Builds `count` blocks and returns the new head hash. */
  async newBlock(count = 1, opts: NewBlockOptions = {}): Promise<string> {
    const params: Record<string, unknown> = { count };
    if (opts.transactions?.length) params.transactions = opts.transactions;
    return this.rpc<string>('dev_newBlock', [params]);
  }

  async setBlockMode(mode: BlockMode): Promise<void> {
    await this.rpc('dev_setBlockBuildMode', [mode === 'manual' ? 'Manual' : 'Instant']);
  }

  async headNumber(): Promise<number> {
    const header = await this.rpc<{ number: string }>('chain_getHeader');
    return Number.parseInt(header.number, 16);
  }

  async pendingExtrinsics(): Promise<string[]> {
    return this.rpc<string[]>('author_pendingExtrinsics');
  }

  /** Kills chopsticks and waits until it has exited. Safe to call twice. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      const child = this.#child;
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(this.#dir, { recursive: true, force: true });
      this.#log.info('dev chain closed');
    })();
    return this.#closed;
  }

  async #waitForRpc(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await this.headNumber();
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`dev chain RPC not answering: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
}

function chopsticksEntry(): string {
  // dist/esm/index.js → package root
  const main = fileURLToPath(import.meta.resolve('@acala-network/chopsticks'));
  return join(dirname(main), '..', '..', 'chopsticks.cjs');
}

async function fundingStorage(extra: string[], amount: bigint): Promise<unknown> {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519' });
  const addresses = [...DEV_ACCOUNTS.map((uri) => keyring.addFromUri(uri).address), ...extra];
  const accounts = addresses.map((address) => {
    decodeAddress(address); // throws on a malformed address before chopsticks sees it
    return [[address], { providers: 1, data: { free: amount.toString() } }];
  });
  return { System: { Account: accounts } };
}

/** Resolves with the address chopsticks prints once its server listens; rejects if it dies first. */
function waitForListen(child: ChildProcess, log: Logger, timeoutMs: number): Promise<{ host: string; port: number }> {
  return new Promise((resolve, reject) => {
    const tail: string[] = [];
    let done = false;
    const finish = (err: Error | undefined, value?: { host: string; port: number }): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) {
        child.kill('SIGKILL');
        reject(err);
      } else resolve(value!);
    };
    const timer = setTimeout(() => finish(new Error(`chopsticks did not listen within ${timeoutMs} ms: ${tail.join(' | ')}`)), timeoutMs);
    const onLine = (line: string): void => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      log.debug({ chopsticks: line }, 'chopsticks');
      const m = LISTEN_RE.exec(line);
      if (m) finish(undefined, { host: m[1]!, port: Number(m[2]) });
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    child.once('error', (err) => finish(new Error(`chopsticks failed to spawn: ${err.message}`)));
    child.once('exit', (code, signal) => finish(new Error(`chopsticks exited (${code ?? signal}) before listening: ${tail.join(' | ')}`)));
  });
}
