import type { ChatRestriction, ChatSettings } from '@vilokanam/contracts/chat';
import type { RestrictionRow } from './ChatStore.ts';

/** What the server knows about one attempt to write, gathered inside the send transaction. */
export interface WriteContext {
  role: 'creator' | 'moderator' | 'viewer';
  settings: ChatSettings;
  restriction: RestrictionRow | undefined;
  lastMessageAt: Date | undefined;
  followedSince: Date | undefined;
  now: Date;
}

/**
 * Why this account may not write now, or null. Pure, so each rule is tested alone; the
 * service gathers the facts under a per-account lock, so two sends cannot both pass slow mode.
 */
export function writeRestriction(c: WriteContext): ChatRestriction | null {
  if (c.restriction) {
    const until = c.restriction.until;
    const why = c.restriction.reason ? `: ${c.restriction.reason}` : '';
    return until
      ? { reason: 'timed_out', until: until.toISOString(), message: `you are timed out in this chat until ${until.toISOString()}${why}` }
      : { reason: 'banned', until: null, message: `you are banned from this chat${why}` };
  }
  // The channel's own staff keep talking whatever the room's mode.
  if (c.role !== 'viewer') return null;
  const s = c.settings;
  if (s.followersOnly) {
    const needed = s.followMinMinutes * 60_000;
    if (!c.followedSince) return { reason: 'followers_only', until: null, message: 'this chat is for followers only: follow the creator to chat' };
    const eligible = c.followedSince.getTime() + needed;
    if (eligible > c.now.getTime()) {
      return { reason: 'followers_only', until: new Date(eligible).toISOString(), message: `this chat is for followers of at least ${s.followMinMinutes} minutes` };
    }
  }
  if (s.slowModeSeconds > 0 && c.lastMessageAt) {
    const next = c.lastMessageAt.getTime() + s.slowModeSeconds * 1000;
    if (next > c.now.getTime()) return { reason: 'slow_mode', until: new Date(next).toISOString(), message: `slow mode: one message every ${s.slowModeSeconds} seconds` };
  }
  return null;
}

/** The first blocked term the text contains, compared case-insensitively. */
export function blockedTermIn(text: string, terms: readonly string[]): string | undefined {
  const folded = text.toLocaleLowerCase('en');
  return terms.find((t) => t.length > 0 && folded.includes(t.toLocaleLowerCase('en')));
}

/** Handles the text mentions with @, lower-cased, at most 10. */
export function mentionedHandles(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/(?:^|[^A-Za-z0-9_])@([A-Za-z0-9_]{3,24})(?![A-Za-z0-9_])/g)) {
    out.add(m[1]!.toLowerCase());
    if (out.size === 10) break;
  }
  return [...out];
}
