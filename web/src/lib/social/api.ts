// REST helpers for the social service: profiles, follows, notifications, browse and search,
// tips, moderators, webhooks and emotes. All on the app's one fetch helper, so failures are the
// same ApiError (status, code, the server's message) as everywhere else.
import { call } from '#lib/api.ts';
import type { Emote } from '@vilokanam/contracts/chat';
import type {
  BrowseStream,
  Category,
  CreatorPage,
  FollowEntry,
  FollowList,
  ModerationEntry,
  NotificationsResponse,
  Profile,
  SearchResults,
  TipRecord,
  Webhook,
} from '@vilokanam/contracts/social';

const enc = encodeURIComponent;

export type SearchType = 'all' | 'streams' | 'creators' | 'categories';

export interface CategoryStreams {
  category: Category;
  streams: BrowseStream[];
  more: boolean;
}

/** What the profile form sends; the server trims, lower-cases the handle and checks the links. */
export interface ProfileInput {
  handle: string;
  displayName: string;
  bio: string;
  links: string[];
}

/** A list answer that may come bare or wrapped in `{ [key]: [...] }`: both read the same. */
function listOf<T>(body: unknown, key: string): T[] {
  if (Array.isArray(body)) return body as T[];
  const inner = (body as Record<string, unknown> | null)?.[key];
  return Array.isArray(inner) ? (inner as T[]) : [];
}

// Profiles and creator pages

export function getMyProfile(signal?: AbortSignal): Promise<Profile> {
  return call<Profile>('/me/profile', { signal });
}

export function saveMyProfile(input: ProfileInput): Promise<Profile> {
  return call<Profile>('/me/profile', { method: 'PUT', body: input });
}

export async function uploadAvatar(image: Blob): Promise<void> {
  await call<unknown>('/me/avatar', { method: 'POST', file: image });
}

export function getCreatorPage(handle: string, signal?: AbortSignal): Promise<CreatorPage> {
  return call<CreatorPage>(`/c/${enc(handle)}`, { signal });
}

export function getProfile(accountId: string, signal?: AbortSignal): Promise<Profile> {
  return call<Profile>(`/profiles/${enc(accountId)}`, { signal });
}

// Follows

export async function follow(creatorId: string): Promise<void> {
  await call<unknown>(`/follows/${enc(creatorId)}`, { method: 'PUT' });
}

export async function unfollow(creatorId: string): Promise<void> {
  await call<unknown>(`/follows/${enc(creatorId)}`, { method: 'DELETE' });
}

export function getFollowList(accountId: string, which: 'followers' | 'following', before?: string, signal?: AbortSignal): Promise<FollowList> {
  return call<FollowList>(`/accounts/${enc(accountId)}/${which}`, { query: { before }, signal });
}

export async function getFollowingLive(signal?: AbortSignal): Promise<BrowseStream[]> {
  return listOf<BrowseStream>(await call<unknown>('/me/following/live', { signal }), 'streams');
}

// Notifications

export function getNotifications(signal?: AbortSignal): Promise<NotificationsResponse> {
  return call<NotificationsResponse>('/me/notifications', { signal });
}

/** Marks these notifications read, or all of them without ids. */
export async function markNotificationsRead(ids?: string[]): Promise<void> {
  await call<unknown>('/me/notifications/read', { method: 'POST', body: ids ? { ids } : {} });
}

// Browse and search

export async function getCategories(signal?: AbortSignal): Promise<Category[]> {
  return listOf<Category>(await call<unknown>('/categories', { signal }), 'categories');
}

export function getCategoryStreams(slug: string, page: number, signal?: AbortSignal): Promise<CategoryStreams> {
  return call<CategoryStreams>(`/categories/${enc(slug)}`, { query: { page }, signal });
}

export function search(q: string, type: SearchType, page: number, signal?: AbortSignal): Promise<SearchResults> {
  return call<SearchResults>('/search', { query: { q, type, page }, signal });
}

// Tips

/** `tipId` is made once per tip and sent again on a retry, so a retried request pays once. */
export function sendTip(streamId: string, tip: { tipId: string; amount: string; message: string }): Promise<TipRecord> {
  return call<TipRecord>(`/streams/${enc(streamId)}/tips`, { method: 'POST', body: tip });
}

export async function getTipsReceived(signal?: AbortSignal): Promise<TipRecord[]> {
  return listOf<TipRecord>(await call<unknown>('/me/tips', { signal }), 'tips');
}

// Moderators and the moderation log

export async function getModerators(creatorId: string, signal?: AbortSignal): Promise<FollowEntry[]> {
  return listOf<FollowEntry>(await call<unknown>(`/channels/${enc(creatorId)}/moderators`, { signal }), 'moderators');
}

export async function addModerator(accountId: string): Promise<void> {
  await call<unknown>(`/me/moderators/${enc(accountId)}`, { method: 'PUT' });
}

export async function removeModerator(accountId: string): Promise<void> {
  await call<unknown>(`/me/moderators/${enc(accountId)}`, { method: 'DELETE' });
}

export async function getModerationLog(signal?: AbortSignal): Promise<ModerationEntry[]> {
  return listOf<ModerationEntry>(await call<unknown>('/me/modlog', { signal }), 'entries');
}

// Webhooks

export async function getWebhooks(signal?: AbortSignal): Promise<Webhook[]> {
  return listOf<Webhook>(await call<unknown>('/me/webhooks', { signal }), 'webhooks');
}

/** The answer carries the signing secret, this once. */
export function createWebhook(url: string): Promise<Webhook> {
  return call<Webhook>('/me/webhooks', { method: 'POST', body: { url } });
}

export async function deleteWebhook(id: string): Promise<void> {
  await call<unknown>(`/me/webhooks/${enc(id)}`, { method: 'DELETE' });
}

// Emotes

export async function getEmotes(channel?: string, signal?: AbortSignal): Promise<Emote[]> {
  return listOf<Emote>(await call<unknown>('/emotes', { query: { channel }, signal }), 'emotes');
}

export async function uploadEmote(code: string, image: Blob): Promise<void> {
  await call<unknown>('/me/emotes', { method: 'POST', query: { code }, file: image });
}

export async function deleteEmote(code: string): Promise<void> {
  await call<unknown>(`/me/emotes/${enc(code)}`, { method: 'DELETE' });
}
