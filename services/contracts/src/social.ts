// The social service's REST shapes: profiles, follows, notifications, categories, search,
// moderation, tips, webhooks and emotes. Request bodies are zod schemas; responses are types.
import { z } from 'zod';
import type { Emote, Notification } from './chat.ts';

/** Handles are what /c/<handle> shows: 3–24 of a-z, 0-9 and _, compared case-insensitively. */
export const Handle = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_]{3,24}$/, 'a handle is 3 to 24 letters, digits or _')
  .transform((h) => h.toLowerCase());

const Link = z
  .string()
  .trim()
  .max(200)
  .url()
  .refine((u) => /^https?:\/\//i.test(u), 'links are http or https');

export const ProfileUpdate = z.object({
  handle: Handle,
  displayName: z.string().trim().min(1).max(64),
  bio: z.string().trim().max(500).default(''),
  links: z.array(Link).max(5).default([]),
});
export type ProfileUpdate = z.infer<typeof ProfileUpdate>;

export interface Profile {
  id: string;
  address: string;
  handle: string | null;
  displayName: string;
  bio: string;
  links: string[];
  avatarUrl: string | null;
  followers: number;
  following: number;
}

export interface PastStream {
  id: string;
  title: string;
  category: string;
  startedAt: string | null;
  endedAt: string | null;
  durationSeconds: number | null;
  peakViewers: number;
}

export interface CreatorPage {
  profile: Profile;
  live: BrowseStream | null;
  past: PastStream[];
  /** Pass as `before` for the next page of past streams; null at the end. */
  pastNext: string | null;
  /** Whether the caller follows this creator; false when signed out. */
  followed: boolean;
}

export interface BrowseStream {
  id: string;
  title: string;
  category: string;
  categoryName: string;
  tags: string[];
  viewers: number;
  startedAt: string | null;
  pricePerSecond: string;
  creator: { id: string; handle: string | null; displayName: string } | null;
}

export interface Category {
  slug: string;
  name: string;
  liveStreams: number;
  viewers: number;
}

/** GET /categories/:slug: the category and one page of its live streams, most watched first. */
export interface CategoryStreams {
  category: Category;
  streams: BrowseStream[];
  page: number;
  more: boolean;
}

/** An admin adds a category to the managed list; categories are never renamed. */
export const CategoryCreate = z.object({
  slug: z.string().trim().regex(/^[a-z0-9-]{1,32}$/, 'a slug is 1 to 32 of a-z, 0-9 and -'),
  name: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .refine((n) => !/\p{Cc}/u.test(n), 'a category name has no control characters'),
});
export type CategoryCreate = z.infer<typeof CategoryCreate>;

export const Tag = z
  .string()
  .trim()
  .regex(/^[\p{L}\p{N}_-]{1,24}$/u, 'a tag is 1 to 24 letters, digits, - or _')
  .transform((t) => t.toLowerCase());
export const Tags = z.array(Tag).max(10).default([]);

export interface FollowEntry {
  id: string;
  handle: string | null;
  displayName: string;
  avatarUrl: string | null;
  followedAt: string;
}

export interface FollowList {
  entries: FollowEntry[];
  /** Pass as `before` for the next page; null at the end. */
  next: string | null;
}

/** The answer to following or unfollowing: where the caller stands now, and the creator's count. */
export interface FollowState {
  following: boolean;
  followers: number;
}

export interface NotificationsResponse {
  notifications: Notification[];
  unread: number;
}

export const SearchQuery = z.object({
  q: z.string().trim().min(1, 'search for something').max(100),
  type: z.enum(['all', 'streams', 'creators', 'categories']).default('all'),
  page: z.coerce.number().int().min(1).max(50).default(1),
});

/** A creator found by search: an account with a profile or a stream of its own. */
export type CreatorResult = Omit<FollowEntry, 'followedAt'> & { live: boolean; followers: number };

export interface SearchResults {
  streams: BrowseStream[];
  creators: CreatorResult[];
  categories: Category[];
  page: number;
  /** Whether another page exists for any of the requested kinds. */
  more: boolean;
}

export const TipRequest = z.object({
  /** Chosen by the client once per tip: a retried request pays once. */
  tipId: z.string().uuid(),
  amount: z.string().regex(/^[1-9][0-9]{0,38}$/, 'amount is planck, a whole number above zero'),
  message: z.string().trim().max(200).default(''),
});
export type TipRequest = z.infer<typeof TipRequest>;

export interface TipRecord {
  tipId: string;
  stream: string;
  viewer: { id: string; handle: string | null; displayName: string };
  amount: string;
  creatorShare: string;
  platformShare: string;
  message: string;
  createdAt: string;
}

export interface ModerationEntry {
  id: string;
  action: 'delete' | 'timeout' | 'ban' | 'unban' | 'settings' | 'mod' | 'unmod';
  moderator: { id: string; displayName: string };
  target: { id: string; displayName: string } | null;
  detail: string;
  createdAt: string;
}

export const WebhookCreate = z.object({
  url: z
    .string()
    .trim()
    .max(500)
    .url()
    .refine((u) => /^https?:\/\//i.test(u), 'webhooks are http or https'),
});

export interface Webhook {
  id: string;
  url: string;
  /** Shown once, when the webhook is created: the HMAC-SHA256 key of X-Vilokanam-Signature. */
  secret?: string;
  createdAt: string;
  lastStatus: string | null;
}

/** The body of a go-live webhook delivery. */
export interface LiveWebhookBody {
  event: 'stream.live';
  deliveryId: string;
  creator: { id: string; handle: string | null; displayName: string };
  stream: { id: string; title: string; category: string; url: string };
  sentAt: string;
}

export interface EmoteList {
  emotes: Emote[];
}

export const EmoteCode = z.string().regex(/^[A-Za-z][A-Za-z0-9]{2,19}$/, 'an emote code is 3 to 20 letters or digits, starting with a letter');
