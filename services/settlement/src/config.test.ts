import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { settlementConfigFromEnv } from './config.ts';

const base = { VILO_REDIS_URL: 'redis://127.0.0.1:6379/0' };
const secret = 'legal winner thank year wave sausage worth useful legal winner thank yellow';

describe('settlement config', () => {
  it('runs without chain jobs unless a chain is configured', () => {
    expect(settlementConfigFromEnv(base).chain).toBeUndefined();
  });

  it('reads the chain jobs, a fractional payout interval, and never shows the key', () => {
    const c = settlementConfigFromEnv({
      ...base,
      VILO_CHAIN_WS_URL: 'ws://127.0.0.1:9944',
      VILO_CHAIN_SIGNER_URI: secret,
      VILO_PAYOUT_INTERVAL_MINUTES: '0.05',
      VILO_PAYOUT_MIN_PLANCK: '1000000000000000000000000000000',
    }).chain!;
    expect(c).toMatchObject({ wsUrl: 'ws://127.0.0.1:9944', payoutIntervalMs: 3000, maxCreators: 1000, eraPeriod: 64, reconcileIntervalMs: 300_000 });
    expect(c.minPayout).toBe(10n ** 30n);
    expect(c.signer.secret.reveal()).toBe(secret);
    expect(JSON.stringify(c, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).not.toContain('legal');
    expect(inspect(c, { depth: 5 })).not.toContain('legal');
    const ms = settlementConfigFromEnv({ ...base, VILO_CHAIN_WS_URL: 'wss://rpc.example', VILO_CHAIN_SIGNER_URI: secret, VILO_PAYOUT_INTERVAL_MS: '1500' });
    expect(ms.chain!.payoutIntervalMs).toBe(1500);
  });

  it('refuses a chain without a signer, or a bad interval, naming the variable only', () => {
    expect(() => settlementConfigFromEnv({ ...base, VILO_CHAIN_WS_URL: 'ws://x:1' })).toThrow(/VILO_CHAIN_SIGNER_URI/);
    expect(() => settlementConfigFromEnv({ ...base, VILO_CHAIN_WS_URL: 'http://x:1', VILO_CHAIN_SIGNER_URI: secret })).toThrow(/VILO_CHAIN_WS_URL/);
    expect(() => settlementConfigFromEnv({ ...base, VILO_PAYOUT_INTERVAL_MS: '5' })).toThrow(/VILO_PAYOUT_INTERVAL_MS/);
    try {
      settlementConfigFromEnv({ ...base, VILO_CHAIN_WS_URL: 'http://x:1', VILO_CHAIN_SIGNER_URI: secret });
    } catch (err) {
      expect((err as Error).message).not.toContain('legal');
    }
  });
});
