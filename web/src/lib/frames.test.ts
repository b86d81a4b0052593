import { describe, expect, it } from 'vitest';
import { encodeRequest, isNotificationEvent, parseServerFrame } from './frames.ts';

describe('encodeRequest', () => {
  it('wraps type and data in a versioned envelope with the id', () => {
    const text = encodeRequest(7, 'join', { token: 'abc' });
    expect(JSON.parse(text)).toEqual({ v: 1, id: 7, type: 'join', data: { token: 'abc' } });
  });
});

describe('parseServerFrame', () => {
  it('parses a successful response', () => {
    const f = parseServerFrame('{"v":1,"id":3,"ok":true,"data":{"id":"p1"}}');
    expect(f).toEqual({ kind: 'response', id: 3, ok: true, data: { id: 'p1' } });
  });

  it('defaults missing success data to an empty object', () => {
    expect(parseServerFrame('{"v":1,"id":4,"ok":true}')).toEqual({ kind: 'response', id: 4, ok: true, data: {} });
  });

  it('parses an error response and keeps its code', () => {
    const f = parseServerFrame(JSON.stringify({ v: 1, id: 5, ok: false, error: { code: 'forbidden', message: 'no' } }));
    expect(f).toEqual({ kind: 'response', id: 5, ok: false, error: { code: 'forbidden', message: 'no' } });
  });

  it('keeps an error with a null id (server could not read the request id)', () => {
    const f = parseServerFrame(JSON.stringify({ v: 1, id: null, ok: false, error: { code: 'bad_request', message: 'x' } }));
    expect(f.kind).toBe('response');
    expect(f.kind === 'response' && f.id).toBeNull();
  });

  it('substitutes an internal error when the error body is malformed', () => {
    const f = parseServerFrame('{"v":1,"id":6,"ok":false,"error":"boom"}');
    expect(f).toMatchObject({ kind: 'response', id: 6, ok: false, error: { code: 'internal' } });
  });

  it('parses a known notification', () => {
    const f = parseServerFrame('{"v":1,"event":"viewers","data":{"count":12}}');
    expect(f).toEqual({ kind: 'notification', frame: { v: 1, event: 'viewers', data: { count: 12 } } });
  });

  it('rejects unknown events, wrong versions, junk and non-text frames', () => {
    expect(parseServerFrame('{"v":1,"event":"nope","data":{}}')).toMatchObject({ kind: 'invalid' });
    expect(parseServerFrame('{"v":2,"id":1,"ok":true,"data":{}}')).toMatchObject({ kind: 'invalid', reason: 'unsupported version 2' });
    expect(parseServerFrame('not json')).toEqual({ kind: 'invalid', reason: 'malformed JSON' });
    expect(parseServerFrame('[1,2]')).toMatchObject({ kind: 'invalid' });
    expect(parseServerFrame(new ArrayBuffer(2))).toEqual({ kind: 'invalid', reason: 'non-text frame' });
    expect(parseServerFrame('{"v":1,"event":"viewers"}')).toMatchObject({ kind: 'invalid' });
    expect(parseServerFrame('{"v":1,"ok":true,"data":{}}')).toEqual({ kind: 'invalid', reason: 'response without id' });
  });

  it('does not treat inherited object keys as events', () => {
    expect(isNotificationEvent('toString')).toBe(false);
    expect(isNotificationEvent('streamEnded')).toBe(true);
  });
});
