// A room's message list as the panel keeps it: in id order (ids are the server's sequence),
// each message once however it arrived (history, our own send's answer, the room's event), and
// bounded, so a long stream does not grow the page without end.
import type { ChatMessage, ChatRestriction } from '@vilokanam/contracts/chat';

/** Messages kept in the panel; older ones page in again on scroll. */
export const ROOM_MESSAGE_LIMIT = 300;

function byId(a: ChatMessage, b: ChatMessage): number {
  const x = BigInt(a.id);
  const y = BigInt(b.id);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** `list` and `more` merged, each id once, oldest first. */
export function mergeMessages(list: readonly ChatMessage[], more: readonly ChatMessage[]): ChatMessage[] {
  const seen = new Map<string, ChatMessage>();
  for (const m of list) seen.set(m.id, m);
  for (const m of more) seen.set(m.id, m);
  return [...seen.values()].sort(byId);
}

/** A new message at the bottom; when trimming, the oldest go. */
export function appendMessage(list: readonly ChatMessage[], message: ChatMessage, limit = ROOM_MESSAGE_LIMIT): ChatMessage[] {
  const last = list.at(-1);
  const next = last && BigInt(last.id) < BigInt(message.id) ? [...list, message] : mergeMessages(list, [message]);
  return next.length > limit ? next.slice(next.length - limit) : next;
}

export function removeMessages(list: readonly ChatMessage[], ids: readonly string[]): ChatMessage[] {
  const gone = new Set(ids);
  return list.filter((m) => !gone.has(m.id));
}

/** Whole seconds until a restriction ends; null when it has no end (a ban) or has none. */
export function secondsLeft(restriction: ChatRestriction | null, now: number): number | null {
  if (!restriction?.until) return null;
  return Math.max(0, Math.ceil((Date.parse(restriction.until) - now) / 1000));
}

/** A timeout or slow-mode wait that has run out no longer restricts anyone. */
export function stillRestricted(restriction: ChatRestriction | null, now: number): boolean {
  if (!restriction) return false;
  const left = secondsLeft(restriction, now);
  return left === null || left > 0;
}
