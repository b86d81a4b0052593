import { describe, expect, it } from 'vitest';
import { closeSession, relay, type MediaSession } from './mediasoup.ts';

describe('closeSession', () => {
  it('cancels the watch, then closes the endpoints, the transport and the socket', () => {
    const order: string[] = [];
    const session = {
      cancelWatch: () => order.push('watch'),
      transport: { close: () => order.push('transport') },
      sig: { close: () => order.push('sig') },
    } as unknown as MediaSession;
    closeSession(session, [{ close: () => order.push('a') }, { close: () => order.push('b') }]);
    expect(order).toEqual(['watch', 'a', 'b', 'transport', 'sig']);
  });

  it('copes with a session that never got a transport', () => {
    const order: string[] = [];
    const session = { cancelWatch: () => {}, transport: null, sig: { close: () => order.push('sig') } } as unknown as MediaSession;
    closeSession(session, []);
    expect(order).toEqual(['sig']);
  });
});

describe('relay', () => {
  it('passes the answer to the callback', async () => {
    const got = await new Promise((resolve, reject) => relay(Promise.resolve({ id: 'p1' }), resolve, reject));
    expect(got).toEqual({ id: 'p1' });
  });

  it('hands the errback an Error whatever the request rejected with', async () => {
    const error = new Error('nope');
    await expect(new Promise((resolve, reject) => relay(Promise.reject(error), resolve, reject))).rejects.toBe(error);
    const wrapped = await new Promise<Error>((resolve) => relay(Promise.reject('closed'), () => {}, resolve));
    expect(wrapped).toBeInstanceOf(Error);
    expect(wrapped.message).toBe('closed');
  });
});
