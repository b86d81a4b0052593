import { describe, expect, it } from 'vitest';
import { operatorConfigFromEnv } from './config.ts';

const env = { VILO_REDIS_URL: 'redis://r:6379/0', VILO_SFU_CONTROL_SECRET: 's'.repeat(32), VILO_OPERATOR_NAMESPACE: 'live' };

describe('operatorConfigFromEnv', () => {
  it('applies defaults', () => {
    const c = operatorConfigFromEnv(env);
    expect(c).toMatchObject({ namespace: 'live', workers: 4, lease: { name: 'vilokanam-operator', durationMs: 15_000, renewDeadlineMs: 10_000 }, fleet: { minNodes: 1, maxNodes: 10 } });
  });
  it('refuses missing and inconsistent settings with the variable named', () => {
    expect(() => operatorConfigFromEnv({})).toThrow(/VILO_REDIS_URL/);
    expect(() => operatorConfigFromEnv({ ...env, VILO_SFU_CONTROL_SECRET: 'short' })).toThrow(/at least 32 characters/);
    expect(() => operatorConfigFromEnv({ ...env, VILO_FLEET_MIN_NODES: '5', VILO_FLEET_MAX_NODES: '2' })).toThrow(/MIN_NODES exceeds/);
    expect(() => operatorConfigFromEnv({ ...env, VILO_OPERATOR_RENEW_DEADLINE_MS: '20000' })).toThrow(/RENEW_DEADLINE/);
  });
});
