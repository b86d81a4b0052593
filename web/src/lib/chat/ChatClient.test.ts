import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChatJoined, ChatMessage, Notification } from '@vilokanam/contracts/chat';
import { DEFAULT_CHAT_SETTINGS } from '@vilokanam/contracts/chat';
import { ChatClient, ChatError, type ChatSocket } from './ChatClient.ts';

const ROOM = '5b0f6a52-8d7e-4a39-9f59-2b1f4c2b8e11';

/** A socket the test drives: it records what the client sends and plays the server's part. */
class FakeSocket implements ChatSocket {
  readyState = 0;
  readonly sent: { id: number; type: string; data: Record<string, unknown> }[] = [];
  readonly #listeners = new Map<string, ((event: { data: unknown }) => void)[]>();

  addEventListener(type: string, listener: (event: { data: unknown }) => void): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data) as { id: number; type: string; data: Record<string, unknown> });
  }
  close(): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.#fire('close', null);
  }
  open(): void {
    this.readyState = 1;
    this.#fire('open', null);
  }
  serverFrame(frame: unknown): void {
    this.#fire('message', JSON.stringify(frame));
  }
  answer(id: number, data: unknown): void {
    this.serverFrame({ v: 1, id, ok: true, data });
  }
  /** The server went away: the client sees a close it did not ask for. */
  drop(): void {
    this.close();
  }
  #fire(type: string, data: unknown): void {
    for (const l of this.#listeners.get(type) ?? []) l({ data });
  }
}

function joined(room = ROOM): ChatJoined {
  return { room, history: [], settings: DEFAULT_CHAT_SETTINGS, role: 'viewer', restriction: null, emotes: [] };
}

let sockets: FakeSocket[];
let client: ChatClient;

beforeEach(() => {
  vi.useFakeTimers();
  sockets = [];
  client = new ChatClient({
    url: () => 'ws://test/api/v1/chat',
    open: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    },
    backoff: { initialMs: 500, maxMs: 5_000, jitter: 0 },
    requestTimeoutMs: 1_000,
  });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('ChatClient', () => {
  it('opens one socket while held, joins once open, and answers requests by id', async () => {
    const release = client.hold();
    const again = client.hold();
    expect(sockets).toHaveLength(1);
    const joining = client.join(ROOM);
    expect(sockets[0]!.sent).toEqual([]);
    sockets[0]!.open();
    expect(sockets[0]!.sent).toEqual([{ v: 1, id: 1, type: 'join', data: { room: ROOM } }]);
    sockets[0]!.answer(1, joined());
    await expect(joining).resolves.toMatchObject({ room: ROOM, role: 'viewer' });

    const sending = client.request('send', { room: ROOM, text: 'hello' });
    const message = { id: '9', room: ROOM, text: 'hello' } as ChatMessage;
    sockets[0]!.answer(2, { message });
    await expect(sending).resolves.toEqual({ message });

    release();
    expect(sockets[0]!.readyState).toBe(1);
    again();
    expect(sockets[0]!.readyState).toBe(3);
    expect(client.connection.value).toBe('idle');
  });

  it('turns a refusal into a ChatError carrying the restriction', async () => {
    client.hold();
    sockets[0]!.open();
    const sending = client.request('send', { room: ROOM, text: 'hi' });
    const restriction = { reason: 'timed_out', until: '2030-01-01T00:00:00Z', message: 'You are timed out' };
    sockets[0]!.serverFrame({ v: 1, id: 1, ok: false, error: { code: 'forbidden', message: 'You are timed out', restriction } });
    const error = (await sending.catch((e: unknown) => e)) as ChatError;
    expect(error).toBeInstanceOf(ChatError);
    expect(error.code).toBe('forbidden');
    expect(error.message).toBe('You are timed out');
    expect(error.restriction).toEqual(restriction);
  });

  it('delivers typed events, and ignores frames it does not understand', () => {
    client.hold();
    sockets[0]!.open();
    const seen: Notification[] = [];
    const deleted: string[][] = [];
    client.on('notification', (n) => seen.push(n));
    const off = client.on('deleted', (d) => deleted.push(d.messageIds));
    const notification = { id: '1', kind: 'live', read: false } as Notification;
    sockets[0]!.serverFrame({ v: 1, event: 'notification', data: notification });
    sockets[0]!.serverFrame({ v: 1, event: 'deleted', data: { room: ROOM, messageIds: ['4'] } });
    off();
    sockets[0]!.serverFrame({ v: 1, event: 'deleted', data: { room: ROOM, messageIds: ['5'] } });
    sockets[0]!.serverFrame({ v: 1, event: 'nonsense', data: {} });
    sockets[0]!.serverFrame({ v: 2, event: 'deleted', data: { room: ROOM, messageIds: ['6'] } });
    expect(seen).toEqual([notification]);
    expect(deleted).toEqual([['4']]);
  });

  it('fails pending requests on a drop, reconnects with backoff and joins its rooms again', async () => {
    client.hold();
    const rejoins: ChatJoined[] = [];
    client.on('joined', (j) => rejoins.push(j));
    void client.join(ROOM);
    sockets[0]!.open();
    sockets[0]!.answer(1, joined());
    await Promise.resolve();
    const pending = client.request('chatters', { room: ROOM });
    sockets[0]!.drop();
    await expect(pending).rejects.toMatchObject({ code: 'closed' });
    expect(client.connection.value).toBe('reconnecting');
    await expect(client.request('chatters', { room: ROOM })).rejects.toMatchObject({ code: 'closed' });

    vi.advanceTimersByTime(499);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(2);
    // A second failure waits twice as long.
    sockets[1]!.drop();
    vi.advanceTimersByTime(999);
    expect(sockets).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(3);

    sockets[2]!.open();
    expect(sockets[2]!.sent[0]).toMatchObject({ type: 'join', data: { room: ROOM } });
    sockets[2]!.answer(sockets[2]!.sent[0]!.id, { ...joined(), role: 'moderator' });
    await vi.waitFor(() => expect(rejoins.map((j) => j.role)).toEqual(['viewer', 'moderator']));
    expect(client.connection.value).toBe('open');
  });

  it('stops rejoining a room the server refused, and reports why', async () => {
    client.hold();
    const failures: string[] = [];
    client.on('joinFailed', (f) => failures.push(f.error.code));
    const joining = client.join(ROOM);
    sockets[0]!.open();
    sockets[0]!.serverFrame({ v: 1, id: 1, ok: false, error: { code: 'not_found', message: 'No such stream' } });
    await expect(joining).rejects.toMatchObject({ code: 'not_found' });
    expect(failures).toEqual(['not_found']);
    sockets[0]!.drop();
    vi.advanceTimersByTime(500);
    sockets[1]!.open();
    expect(sockets[1]!.sent).toEqual([]);
  });

  it('opens a new socket when the signed-in account changes', () => {
    client.hold();
    client.identify(null);
    sockets[0]!.open();
    client.identify(null);
    expect(sockets).toHaveLength(1);
    client.identify(`0x${'ab'.repeat(32)}`);
    expect(sockets).toHaveLength(2);
    expect(sockets[0]!.readyState).toBe(3);
  });

  it('times out a request the server never answers', async () => {
    client.hold();
    sockets[0]!.open();
    const pending = client.request('history', { room: ROOM });
    vi.advanceTimersByTime(1_000);
    await expect(pending).rejects.toMatchObject({ code: 'timeout' });
  });
});
