// Chat's rules at the server, on both engines: what a refused account is told, and that the
// refusal holds until its time passes.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CHAT_SETTINGS } from '@vilokanam/contracts/chat';
import { platformEngines } from '@vilokanam/testkit/platform-db';
import type { Database } from '@vilokanam/settlement/db';
import { SocialMetrics } from '../SocialMetrics.ts';
import { createAccount, createStream, follow, type TestAccount } from '../testing/fixtures.ts';
import type { BusEnvelope } from './ChatBus.ts';
import { ChatError } from './ChatError.ts';
import { ChatModeration } from './ChatModeration.ts';
import { ChatService } from './ChatService.ts';
import { MemoryChatBus } from './MemoryChatBus.ts';

const log = pino({ level: 'silent' });

describe.each(platformEngines)('ChatService on $name', (engine) => {
  let db: Database;
  let drop: () => Promise<void>;
  let clock = Date.parse('2026-12-06T12:00:00Z');
  const heard: BusEnvelope[] = [];
  let chat: ChatService;
  let mod: ChatModeration;
  let creator: TestAccount, moderator: TestAccount, viewer: TestAccount, other: TestAccount;
  let room: string;

  beforeAll(async () => {
    ({ db, drop } = await engine.open());
    const bus = new MemoryChatBus();
    bus.onEnvelope((e) => heard.push(e));
    const metrics = new SocialMetrics();
    chat = new ChatService({ db, bus, log, metrics, emotes: async () => [], now: () => clock });
    mod = new ChatModeration({ db, chat, bus, metrics, now: () => clock });
    creator = await createAccount(db, 'Creator', { handle: 'thecreator' });
    moderator = await createAccount(db, 'Mod');
    viewer = await createAccount(db, 'Viewer', { handle: 'viewer1' });
    other = await createAccount(db, 'Other');
    room = await createStream(db, creator.id);
    await bus.subscribe({ room });
    await bus.subscribe('accounts');
    await mod.appoint(creator, moderator.id);
  });
  afterAll(() => drop());

  const refusal = async (p: Promise<unknown>): Promise<ChatError> => {
    const err = await p.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ChatError);
    return err as ChatError;
  };
  const tick = (ms: number): void => void (clock += ms);

  it('stores a message with its mentions and reply, and shows it in history', async () => {
    const first = await chat.send(viewer, { room, text: 'hello @TheCreator' });
    expect(first.mentions).toEqual([creator.id]);
    expect(first.author).toMatchObject({ id: viewer.id, handle: 'viewer1', badge: null });
    tick(11_000);
    const reply = await chat.send(creator, { room, text: 'welcome', replyTo: first.id });
    expect(reply.replyTo).toMatchObject({ id: first.id, text: 'hello @TheCreator' });
    expect(reply.author.badge).toBe('creator');
    const joined = await chat.join(undefined, room);
    expect(joined.history.map((m) => m.id)).toEqual([first.id, reply.id]);
    expect(joined.role).toBe('anonymous');
    expect(joined.restriction?.reason).toBe('sign_in');
  });

  it('refuses a timed-out account until the timeout passes, and says until when', async () => {
    tick(11_000);
    const said = await chat.send(other, { room, text: 'about to be timed out' });
    await mod.timeout(moderator, { room, account: other.id, seconds: 60, reason: 'calm down' });
    // What they said goes with them.
    expect(heard.some((e) => e.event === 'deleted' && e.data.messageIds.includes(said.id))).toBe(true);
    expect(heard.some((e) => e.event === 'restricted' && e.account === other.id && e.data.restriction.reason === 'timed_out')).toBe(true);
    const err = await refusal(chat.send(other, { room, text: 'let me talk' }));
    expect(err.code).toBe('forbidden');
    expect(err.restriction).toMatchObject({ reason: 'timed_out', until: new Date(clock + 60_000).toISOString() });
    tick(59_000);
    await refusal(chat.send(other, { room, text: 'still no' }));
    tick(1_001);
    await expect(chat.send(other, { room, text: 'I am back' })).resolves.toMatchObject({ text: 'I am back' });
    const log = await mod.log(creator);
    expect(log.map((e) => e.action)).toEqual(expect.arrayContaining(['mod', 'timeout']));
  });

  it('refuses a banned account until unbanned', async () => {
    tick(11_000);
    await mod.ban(creator, { room, account: other.id });
    tick(3_600_000);
    expect((await refusal(chat.send(other, { room, text: 'hi' }))).restriction?.reason).toBe('banned');
    await mod.unban(moderator, { room, account: other.id });
    await expect(chat.send(other, { room, text: 'thanks' })).resolves.toBeDefined();
  });

  it('holds viewers to slow mode at the server, and not the staff', async () => {
    tick(11_000);
    await mod.settings(moderator, { room, settings: { ...DEFAULT_CHAT_SETTINGS, slowModeSeconds: 30 } });
    expect(heard.at(-1)).toMatchObject({ event: 'settings', data: { settings: { slowModeSeconds: 30 } } });
    await chat.send(viewer, { room, text: 'one' });
    tick(5_000);
    expect((await refusal(chat.send(viewer, { room, text: 'two' }))).restriction?.reason).toBe('slow_mode');
    await chat.send(moderator, { room, text: 'staff are not slowed' });
    tick(25_000);
    await expect(chat.send(viewer, { room, text: 'two, later' })).resolves.toBeDefined();
  });

  it('lets only followers of the minimum age write in followers-only mode', async () => {
    tick(31_000);
    await mod.settings(creator, { room, settings: { ...DEFAULT_CHAT_SETTINGS, followersOnly: true, followMinMinutes: 10 } });
    expect((await refusal(chat.send(viewer, { room, text: 'not a follower' }))).restriction?.reason).toBe('followers_only');
    await follow(db, viewer.id, creator.id, new Date(clock - 5 * 60_000));
    expect((await refusal(chat.send(viewer, { room, text: 'too new' }))).restriction?.until).toBe(new Date(clock + 5 * 60_000).toISOString());
    tick(5 * 60_000);
    await expect(chat.send(viewer, { room, text: 'a follower of ten minutes' })).resolves.toBeDefined();
    await mod.settings(creator, { room, settings: DEFAULT_CHAT_SETTINGS });
  });

  it('refuses blocked terms and a flood beyond the per-account rate', async () => {
    tick(60_000);
    await mod.settings(creator, { room, settings: { ...DEFAULT_CHAT_SETTINGS, blockedTerms: ['Cheap Gold'] } });
    expect((await refusal(chat.send(viewer, { room, text: 'buy cheap gold here' }))).code).toBe('bad_request');
    for (let i = 0; i < 5; i++) await chat.send(viewer, { room, text: `msg ${i}` });
    expect((await refusal(chat.send(viewer, { room, text: 'one too many' }))).code).toBe('rate_limited');
    tick(10_001);
    await expect(chat.send(viewer, { room, text: 'after the window' })).resolves.toBeDefined();
  });

  it('serialises one account’s concurrent sends, so slow mode admits exactly one', async () => {
    tick(60_000);
    await mod.settings(creator, { room, settings: { ...DEFAULT_CHAT_SETTINGS, slowModeSeconds: 60 } });
    const results = await Promise.allSettled(Array.from({ length: 4 }, (_, i) => chat.send(viewer, { room, text: `race ${i}` })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    await mod.settings(creator, { room, settings: DEFAULT_CHAT_SETTINGS });
  });

  it('keeps moderation to the staff, and the creator out of their reach', async () => {
    const msg = (await chat.join(undefined, room)).history.at(-1)!;
    expect((await refusal(mod.delete(viewer, { room, messageId: msg.id }))).code).toBe('forbidden');
    expect((await refusal(mod.ban(moderator, { room, account: creator.id }))).code).toBe('forbidden');
    expect((await refusal(mod.timeout(moderator, { room, account: moderator.id, seconds: 5 }))).code).toBe('bad_request');
    await mod.delete(moderator, { room, messageId: msg.id });
    expect((await chat.join(undefined, room)).history.map((m) => m.id)).not.toContain(msg.id);
  });

  it('makes an ended stream’s chat read-only and refuses unknown rooms', async () => {
    const ended = await createStream(db, creator.id, { status: 'ended' });
    expect((await refusal(chat.send(viewer, { room: ended, text: 'hello?' }))).code).toBe('stream_not_live');
    expect((await refusal(chat.join(viewer, '00000000-0000-4000-8000-000000000000'))).code).toBe('not_found');
  });
});
