import { describe, expect, it } from 'vitest';
import { DEFAULT_CHAT_SETTINGS, type ChatSettings } from '@vilokanam/contracts/chat';
import { blockedTermIn, mentionedHandles, writeRestriction, type WriteContext } from './ChatRules.ts';

const now = new Date('2026-12-06T12:00:00Z');
const base: WriteContext = { role: 'viewer', settings: DEFAULT_CHAT_SETTINGS, restriction: undefined, lastMessageAt: undefined, followedSince: undefined, now };
const settings = (s: Partial<ChatSettings>): ChatSettings => ({ ...DEFAULT_CHAT_SETTINGS, ...s });

describe('writeRestriction', () => {
  it('lets an unrestricted viewer write', () => {
    expect(writeRestriction(base)).toBeNull();
  });

  it('refuses a ban without end and a timeout until its end, for staff too', () => {
    const ban = writeRestriction({ ...base, role: 'moderator', restriction: { until: null, reason: 'spam' } });
    expect(ban).toMatchObject({ reason: 'banned', until: null });
    expect(ban!.message).toContain('spam');
    const until = new Date(now.getTime() + 60_000);
    expect(writeRestriction({ ...base, restriction: { until, reason: '' } })).toMatchObject({ reason: 'timed_out', until: until.toISOString() });
  });

  it('holds a viewer to slow mode from their last message, and not the creator', () => {
    const s = settings({ slowModeSeconds: 30 });
    const last = new Date(now.getTime() - 10_000);
    expect(writeRestriction({ ...base, settings: s, lastMessageAt: last })).toMatchObject({ reason: 'slow_mode', until: new Date(last.getTime() + 30_000).toISOString() });
    expect(writeRestriction({ ...base, settings: s, lastMessageAt: new Date(now.getTime() - 30_000) })).toBeNull();
    expect(writeRestriction({ ...base, role: 'creator', settings: s, lastMessageAt: last })).toBeNull();
  });

  it('lets only followers of the minimum age write in followers-only mode', () => {
    const s = settings({ followersOnly: true, followMinMinutes: 10 });
    expect(writeRestriction({ ...base, settings: s })).toMatchObject({ reason: 'followers_only', until: null });
    const recent = new Date(now.getTime() - 5 * 60_000);
    expect(writeRestriction({ ...base, settings: s, followedSince: recent })).toMatchObject({ reason: 'followers_only', until: new Date(recent.getTime() + 600_000).toISOString() });
    expect(writeRestriction({ ...base, settings: s, followedSince: new Date(now.getTime() - 10 * 60_000) })).toBeNull();
    expect(writeRestriction({ ...base, role: 'moderator', settings: s })).toBeNull();
  });
});

describe('blockedTermIn', () => {
  it('finds a term regardless of case and inside words', () => {
    expect(blockedTermIn('Buy CHEAP gold now', ['cheap gold'])).toBe('cheap gold');
    expect(blockedTermIn('spammer', ['spam'])).toBe('spam');
    expect(blockedTermIn('hello', ['spam'])).toBeUndefined();
    expect(blockedTermIn('hello', [])).toBeUndefined();
  });
});

describe('mentionedHandles', () => {
  it('takes @handles at word starts, lower-cased, unique, at most 10', () => {
    expect(mentionedHandles('hi @Alice and @bob_2, again @alice')).toEqual(['alice', 'bob_2']);
    expect(mentionedHandles('mail me at me@example.com')).toEqual([]);
    expect(mentionedHandles('@ab too short, @abc ok')).toEqual(['abc']);
    expect(mentionedHandles(Array.from({ length: 15 }, (_, i) => `@user${i}`).join(' '))).toHaveLength(10);
  });
});
