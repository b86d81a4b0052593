import { describe, expect, it } from 'vitest';
import { encodeChatRequest, parseChatFrame } from './frames.ts';

const ROOM = '5b0f6a52-8d7e-4a39-9f59-2b1f4c2b8e11';

describe('chat frames', () => {
  it('wraps a request in the chat envelope', () => {
    expect(JSON.parse(encodeChatRequest(4, 'join', { room: ROOM }))).toEqual({ v: 1, id: 4, type: 'join', data: { room: ROOM } });
  });

  it('parses events and replies', () => {
    expect(parseChatFrame(JSON.stringify({ v: 1, event: 'deleted', data: { room: ROOM, messageIds: ['1'] } }))).toEqual({
      kind: 'event',
      event: 'deleted',
      data: { room: ROOM, messageIds: ['1'] },
    });
    expect(parseChatFrame('{"v":1,"id":2,"ok":true}')).toEqual({ kind: 'response', id: 2, ok: true, data: {} });
  });

  it('keeps an error\'s code, message and restriction, and nothing else', () => {
    const restriction = { reason: 'banned', until: null, message: 'Banned' };
    const frame = { v: 1, id: 3, ok: false, error: { code: 'forbidden', message: 'no', restriction, stack: 'x' } };
    expect(parseChatFrame(JSON.stringify(frame))).toEqual({ kind: 'response', id: 3, ok: false, error: { code: 'forbidden', message: 'no', restriction } });
    const plain = { v: 1, id: 3, ok: false, error: { code: 'forbidden', message: 'no', restriction: 'x' } };
    expect(parseChatFrame(JSON.stringify(plain))).toEqual({ kind: 'response', id: 3, ok: false, error: { code: 'forbidden', message: 'no' } });
    expect(parseChatFrame('{"v":1,"id":3,"ok":false}')).toMatchObject({ error: { code: 'internal', message: 'Malformed error response' } });
  });

  it('drops what is not a chat frame', () => {
    expect(parseChatFrame('{"v":1}')).toEqual({ kind: 'invalid', reason: 'neither response nor event' });
    expect(parseChatFrame('{"v":1,"event":"viewers","data":{}}')).toEqual({ kind: 'invalid', reason: 'unknown event viewers' });
    expect(parseChatFrame('{"v":1,"event":"message"}')).toEqual({ kind: 'invalid', reason: 'event message without data' });
    expect(parseChatFrame(new Uint8Array(1))).toEqual({ kind: 'invalid', reason: 'non-text frame' });
  });
});
