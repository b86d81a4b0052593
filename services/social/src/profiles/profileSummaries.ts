import type { Queryable } from '@vilokanam/settlement/db';
import { imageUrl } from '../media/images.ts';

/** How other features (chat, follows, search) name an account in one line. */
export interface ProfileSummary {
  id: string;
  handle: string | null;
  displayName: string;
  avatarUrl: string | null;
}

/** An address cut to its ends, for accounts that never chose a display name. */
export function shortAddress(address: string): string {
  return address.length > 12 ? `${address.slice(0, 6)}…${address.slice(-4)}` : address;
}

export function displayNameFor(displayName: string | null, address: string): string {
  return displayName ?? shortAddress(address);
}

/** Summaries of the given accounts, one query however many; unknown ids are left out. */
export async function profileSummaries(db: Queryable, ids: Iterable<string>): Promise<Map<string, ProfileSummary>> {
  const wanted = [...new Set(ids)];
  const out = new Map<string, ProfileSummary>();
  if (wanted.length === 0) return out;
  const rows = await db.query<{ id: string; address: string; display_name: string | null; handle: string | null; avatar: string | null }>(
    `SELECT a.id, a.address, a.display_name, p.handle, p.avatar
       FROM user_accounts a LEFT JOIN profiles p ON p.account_id = a.id
      WHERE a.id = ANY($1::text[])`,
    [wanted],
  );
  for (const r of rows) {
    out.set(r.id, { id: r.id, handle: r.handle, displayName: displayNameFor(r.display_name, r.address), avatarUrl: r.avatar ? imageUrl(r.avatar) : null });
  }
  return out;
}
