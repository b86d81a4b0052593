import { describe, expect, it } from 'vitest';
import { encodeEnvelope, eventNameGuard, parseEnvelope, type EnvelopeProtocol } from './envelope.ts';
import { sameOriginWsUrl } from './wsUrl.ts';

type Tick = { kind: 'tick'; name: 'tick'; data: Record<string, unknown> };

const protocol: EnvelopeProtocol<'tick', Tick, { code: string; message: string }> = {
  version: 3,
  eventNoun: 'tick',
  isEvent: eventNameGuard<'tick'>({ tick: true }),
  event: (name, data) => ({ kind: 'tick', name, data }),
  error: (body) => ({ code: body.code, message: body.message }),
};

describe('envelope', () => {
  it('encodes a request under the protocol version', () => {
    expect(JSON.parse(encodeEnvelope(3, 9, 'ping', { a: 1 }))).toEqual({ v: 3, id: 9, type: 'ping', data: { a: 1 } });
  });

  it('hands events to the protocol and keeps only what its error body keeps', () => {
    expect(parseEnvelope('{"v":3,"event":"tick","data":{"n":1}}', protocol)).toEqual({ kind: 'tick', name: 'tick', data: { n: 1 } });
    expect(parseEnvelope('{"v":3,"id":2,"ok":false,"error":{"code":"x","message":"m","extra":1}}', protocol)).toEqual({
      kind: 'response',
      id: 2,
      ok: false,
      error: { code: 'x', message: 'm' },
    });
  });

  it('stands in an internal error for an error body without a code or message', () => {
    expect(parseEnvelope('{"v":3,"id":2,"ok":false,"error":{"code":"x"}}', protocol)).toMatchObject({
      error: { code: 'internal', message: 'Malformed error response' },
    });
  });

  it('checks the version and names the protocol\'s events in what it drops', () => {
    expect(parseEnvelope('{"v":1,"id":1,"ok":true}', protocol)).toEqual({ kind: 'invalid', reason: 'unsupported version 1' });
    expect(parseEnvelope('{"v":3}', protocol)).toEqual({ kind: 'invalid', reason: 'neither response nor tick' });
    expect(parseEnvelope('{"v":3,"event":"constructor","data":{}}', protocol)).toEqual({ kind: 'invalid', reason: 'unknown event constructor' });
  });

  it('builds a socket URL on the page\'s origin and scheme', () => {
    expect(sameOriginWsUrl('/api/v1/ws', { protocol: 'https:', host: 'x.test' })).toBe('wss://x.test/api/v1/ws');
    expect(sameOriginWsUrl('/api/v1/chat', { protocol: 'http:', host: 'localhost:5173' })).toBe('ws://localhost:5173/api/v1/chat');
  });
});
