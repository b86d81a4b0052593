import { describe, expect, it } from 'vitest';
import type { ChatMessage, ChatRestriction } from '@vilokanam/contracts/chat';
import { appendMessage, mergeMessages, removeMessages, secondsLeft, stillRestricted } from './room.ts';

const m = (id: string, text = id) => ({ id, text }) as ChatMessage;
const ids = (list: ChatMessage[]) => list.map((x) => x.id);

describe('the room list', () => {
  it('keeps each message once, in id order, however it arrived', () => {
    let list = mergeMessages([], [m('9'), m('10')]);
    list = appendMessage(list, m('11'));
    list = appendMessage(list, m('11', 'again'));
    list = mergeMessages([m('7'), m('8'), m('9')], list);
    expect(ids(list)).toEqual(['7', '8', '9', '10', '11']);
  });

  it('drops the oldest past the limit, and removes deleted ones', () => {
    const list = appendMessage([m('1'), m('2'), m('3')], m('4'), 3);
    expect(ids(list)).toEqual(['2', '3', '4']);
    expect(ids(removeMessages(list, ['3', '99']))).toEqual(['2', '4']);
  });
});

describe('restrictions', () => {
  const now = Date.parse('2030-01-01T00:00:00Z');
  const timeout: ChatRestriction = { reason: 'timed_out', until: '2030-01-01T00:01:00.200Z', message: '' };
  const ban: ChatRestriction = { reason: 'banned', until: null, message: '' };

  it('counts down a timeout and lets it run out; a ban has no end', () => {
    expect(secondsLeft(timeout, now)).toBe(61);
    expect(stillRestricted(timeout, now)).toBe(true);
    expect(stillRestricted(timeout, now + 61_000)).toBe(false);
    expect(secondsLeft(ban, now)).toBeNull();
    expect(stillRestricted(ban, now + 1e9)).toBe(true);
    expect(stillRestricted(null, now)).toBe(false);
  });
});
