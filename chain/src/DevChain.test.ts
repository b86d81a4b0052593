import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Keyring } from '@polkadot/keyring';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FUND_AMOUNT, DEV_ACCOUNTS, DevChain } from './DevChain.ts';
import { devSigner } from './keys.ts';
import { readChainProperties } from './properties.ts';
import { quietLog, randomAddress, ROC, startChain, type ChainFixture } from './testing/chainFixture.ts';
import { waitFor } from '@vilokanam/testkit';

let fx: ChainFixture;
const extra = randomAddress();

beforeAll(async () => {
  fx = await startChain({ fund: [extra] });
}, 120_000);

afterAll(async () => {
  await fx?.close();
}, 60_000);

async function free(address: string): Promise<bigint> {
  const account = (await fx.api.query.system!.account!(address)) as unknown as { data: { free: { toString(): string } } };
  return BigInt(account.data.free.toString());
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('DevChain', () => {
  it('runs the Rococo Asset Hub runtime with funded dev and extra accounts', async () => {
    expect(fx.chain.wsUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(fx.api.runtimeVersion.specName.toString()).toBe('statemine');
    expect(fx.api.runtimeVersion.specVersion.toNumber()).toBe(900);
    const keyring = new Keyring({ type: 'sr25519' });
    for (const uri of DEV_ACCOUNTS) expect(await free(keyring.addFromUri(uri).address), uri).toBe(DEFAULT_FUND_AMOUNT);
    expect(await free(extra)).toBe(DEFAULT_FUND_AMOUNT);
  });

  it('reads the token symbol, decimals, SS58 prefix and existential deposit from the chain itself', () => {
    const p = readChainProperties(fx.api);
    // Rococo Asset Hub uses Kusama's address format.
    expect(p).toMatchObject({ specName: 'statemine', tokenSymbol: 'ROC', tokenDecimals: 12, ss58Prefix: 2 });
    expect(p.genesisHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(p.existentialDeposit).toBe(BigInt(fx.api.consts.balances!.existentialDeposit!.toString()));
    expect(p.existentialDeposit).toBeGreaterThan(0n);
  });

  it('builds blocks on demand and treats every new head as finalized', async () => {
    const finalizedSeen: number[] = [];
    const unsub = await fx.api.rpc.chain.subscribeFinalizedHeads((h) => void finalizedSeen.push(h.number.toNumber()));
    const before = await fx.chain.headNumber();
    const hash = await fx.chain.newBlock(3);
    expect(await fx.chain.headNumber()).toBe(before + 3);
    // Chopsticks has no finality gadget: finalized head == best head, at once.
    expect((await fx.api.rpc.chain.getFinalizedHead()).toHex()).toBe(hash);
    await waitFor('the new head to be announced as finalized', () => finalizedSeen.includes(before + 3), 5_000).finally(unsub);
    expect(finalizedSeen).toContain(before + 3);
  });

  it('holds transactions in manual mode until newBlock, and instant mode includes them at once', async () => {
    const alice = await devSigner('//Alice');
    const to = randomAddress();
    await fx.chain.setBlockMode('manual');
    try {
      await fx.api.tx.balances!.transferKeepAlive!(to, ROC).signAndSend(alice);
      expect(await fx.chain.pendingExtrinsics()).toHaveLength(1);
      expect(await free(to)).toBe(0n);
      await fx.chain.newBlock();
      expect(await fx.chain.pendingExtrinsics()).toHaveLength(0);
      expect(await free(to)).toBe(ROC);
    } finally {
      await fx.chain.setBlockMode('instant');
    }
    const head = await fx.chain.headNumber();
    await fx.api.tx.balances!.transferKeepAlive!(to, ROC).signAndSend(alice);
    await waitFor('the transfer to land', async () => (await free(to)) === 2n * ROC, 10_000);
    expect(await fx.chain.headNumber()).toBe(head + 1);
  });

  it('refuses a malformed address to fund before starting anything', async () => {
    await expect(DevChain.start({ log: quietLog, fund: ['not-an-address'] })).rejects.toThrow();
  });

  it('close() kills chopsticks and is idempotent', async () => {
    const pid = fx.chain.pid!;
    expect(alive(pid)).toBe(true);
    await fx.api.disconnect();
    await fx.chain.close();
    expect(alive(pid)).toBe(false);
    await expect(fetch(fx.chain.httpUrl, { method: 'POST' })).rejects.toThrow();
    await fx.chain.close();
  });

  it('the devchain CLI prints the ws URL, stops on SIGTERM, and its chopsticks dies even if the CLI is SIGKILLed', async () => {
    // Two CLIs at once: startup dominates, so overlap it.
    const [gentle, brutal] = [startCli(['--fund', extra]), startCli([])];
    try {
      const [url, killedUrl] = await Promise.all([gentle.url, brutal.url]);
      expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
      const http = url.replace('ws://', 'http://');
      const res = await fetch(http, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'system_chain', params: [] }),
      });
      expect(((await res.json()) as { result: string }).result).toBe('asset-hub-rococo');

      gentle.child.kill('SIGTERM');
      brutal.child.kill('SIGKILL');
      expect(await gentle.exited).toBe(0);
      expect(await down(http, 10_000)).toBe(true);
      expect(await down(killedUrl.replace('ws://', 'http://'), 10_000)).toBe(true);
    } finally {
      gentle.child.kill('SIGKILL');
      brutal.child.kill('SIGKILL');
    }
  }, 90_000);
});

function startCli(args: string[]): { child: ChildProcess; url: Promise<string>; exited: Promise<number | null> } {
  const cli = fileURLToPath(new URL('./cli/devchain.ts', import.meta.url));
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, VILO_LOG_LEVEL: 'warn' } });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    void exited.then((code) => reject(new Error(`devchain CLI exited ${code}`)));
  });
  url.catch(() => {});
  return { child, url, exited };
}

async function down(httpUrl: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await fetch(httpUrl, { method: 'POST' }).then(() => true, () => false))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
