import { describe, expect, it } from 'vitest';
import { sfuControlConfigFromEnv } from './config.ts';

describe('sfuControlConfigFromEnv', () => {
  it('binds loopback on 7070 by default, answers only there, and leaves /metrics open', () => {
    expect(sfuControlConfigFromEnv({})).toEqual({ host: '127.0.0.1', port: 7070, urls: [], metricsToken: undefined });
  });

  it('reads further control URLs and the metrics token', () => {
    const c = sfuControlConfigFromEnv({ VILO_SFU_CONTROL_URLS: 'http://sfu-a.example:7070, http://10.0.0.9:7070/', VILO_METRICS_TOKEN: 't'.repeat(24) });
    expect(c.urls).toEqual(['http://sfu-a.example:7070', 'http://10.0.0.9:7070/']);
    expect(c.metricsToken).toBe('t'.repeat(24));
  });

  it('refuses a URL with a path and a guessable metrics token', () => {
    expect(() => sfuControlConfigFromEnv({ VILO_SFU_CONTROL_URLS: 'http://a:1/control' })).toThrow(/VILO_SFU_CONTROL_URLS/);
    expect(() => sfuControlConfigFromEnv({ VILO_METRICS_TOKEN: 'short' })).toThrow(/at least 16/);
  });
});
