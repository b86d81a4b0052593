// The chat wire protocol, shared by the social service and the browser. One WebSocket per tab
// at CHAT_WS_PATH; frames are JSON with `v`. Requests carry an `id` the response echoes;
// events carry `event` and no id. Anyone may read a room; writing and moderating need the
// session cookie the socket was opened with.
import { z } from 'zod';
import { requestEnvelope } from './envelope.ts';
import type { ErrorCode } from './signaling.ts';

export const CHAT_PROTOCOL_VERSION = 1;
export const CHAT_WS_PATH = '/api/v1/chat';
/** Longest message, in characters (code points), the server accepts. */
export const CHAT_MAX_LENGTH = 500;
/** Rooms one socket may be in at once. */
export const CHAT_ROOMS_PER_SOCKET = 4;
/** Messages one history page returns at most. */
export const CHAT_HISTORY_PAGE = 50;
/** Longest timeout a moderator may give: two weeks. */
export const CHAT_MAX_TIMEOUT_SECONDS = 14 * 24 * 3600;

const Uuid = z.string().uuid();
/** A room is one stream's chat. */
export const RoomId = Uuid;
const AccountId = z.string().regex(/^0x[0-9a-f]{64}$/, 'an account id is 0x and 64 hex digits');
const MessageId = z.string().regex(/^[0-9]{1,19}$/, 'a message id is a decimal number');

export const ChatText = z
  .string()
  .transform((s) => s.normalize('NFC').trim())
  .refine((s) => s.length > 0, 'a message needs some text')
  .refine((s) => [...s].length <= CHAT_MAX_LENGTH, `a message is at most ${CHAT_MAX_LENGTH} characters`)
  // Control characters other than newline would let one message fake another's layout.
  .refine((s) => !/[\u0000-\u0009\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]/.test(s), 'a message may not contain control characters');

export const ChatSettings = z.object({
  /** Seconds an account must wait between two messages in this channel; 0 is off. */
  slowModeSeconds: z.number().int().min(0).max(3600),
  followersOnly: z.boolean(),
  /** With followersOnly: how long an account must have followed, in minutes. */
  followMinMinutes: z.number().int().min(0).max(60 * 24 * 90),
  /** Words refused anywhere in a message, compared case-insensitively. */
  blockedTerms: z.array(z.string().trim().min(1).max(64)).max(200),
});
export type ChatSettings = z.infer<typeof ChatSettings>;
export const DEFAULT_CHAT_SETTINGS: ChatSettings = { slowModeSeconds: 0, followersOnly: false, followMinMinutes: 0, blockedTerms: [] };

export const ChatRequestSchemas = {
  join: z.object({ room: RoomId }),
  leave: z.object({ room: RoomId }),
  send: z.object({ room: RoomId, text: ChatText, replyTo: MessageId.optional() }),
  history: z.object({ room: RoomId, before: MessageId.optional() }),
  chatters: z.object({ room: RoomId }),
  delete: z.object({ room: RoomId, messageId: MessageId }),
  timeout: z.object({ room: RoomId, account: AccountId, seconds: z.number().int().min(1).max(CHAT_MAX_TIMEOUT_SECONDS), reason: z.string().max(200).optional() }),
  ban: z.object({ room: RoomId, account: AccountId, reason: z.string().max(200).optional() }),
  unban: z.object({ room: RoomId, account: AccountId }),
  settings: z.object({ room: RoomId, settings: ChatSettings }),
} as const;
export type ChatRequestType = keyof typeof ChatRequestSchemas;
export type ChatRequestData<T extends ChatRequestType> = z.infer<(typeof ChatRequestSchemas)[T]>;

export function isChatRequestType(type: string): type is ChatRequestType {
  return Object.hasOwn(ChatRequestSchemas, type);
}

export const ChatRequestFrame = requestEnvelope(CHAT_PROTOCOL_VERSION);
export type ChatRequestFrame = z.infer<typeof ChatRequestFrame>;

export interface ChatAuthor {
  id: string;
  /** The profile's handle, when the account has one. */
  handle: string | null;
  displayName: string;
  /** `creator` or `moderator` in this room's channel; null for everyone else. */
  badge: 'creator' | 'moderator' | null;
}

export interface ChatTip {
  amount: string;
}

export interface ChatMessage {
  id: string;
  room: string;
  author: ChatAuthor;
  text: string;
  replyTo: { id: string; author: string; text: string } | null;
  /** Account ids the text mentions by @handle. */
  mentions: string[];
  tip: ChatTip | null;
  sentAt: string;
}

export interface ChatRestriction {
  /** Why this account cannot write here. */
  reason: 'banned' | 'timed_out' | 'followers_only' | 'slow_mode' | 'sign_in';
  /** When the restriction ends, for timeouts and slow mode. */
  until: string | null;
  message: string;
}

export interface ChatJoined {
  room: string;
  history: ChatMessage[];
  settings: ChatSettings;
  /** What the caller may do here. */
  role: 'creator' | 'moderator' | 'viewer' | 'anonymous';
  restriction: ChatRestriction | null;
  emotes: Emote[];
}

export interface Emote {
  code: string;
  url: string;
  /** null for the platform set. */
  channel: string | null;
}

export interface ChatEventMap {
  message: ChatMessage;
  deleted: { room: string; messageIds: string[] };
  settings: { room: string; settings: ChatSettings };
  /** Sent only to the account it names. */
  restricted: { room: string; restriction: ChatRestriction };
  notification: Notification;
}
export type ChatEventName = keyof ChatEventMap;
export type ChatEventFrame<E extends ChatEventName = ChatEventName> = { v: typeof CHAT_PROTOCOL_VERSION; event: E; data: ChatEventMap[E] };

export type ChatResponseFrame =
  | { v: typeof CHAT_PROTOCOL_VERSION; id: number; ok: true; data: unknown }
  | { v: typeof CHAT_PROTOCOL_VERSION; id: number | null; ok: false; error: { code: ErrorCode; message: string; restriction?: ChatRestriction } };

export interface Notification {
  id: string;
  kind: 'live';
  creator: { id: string; handle: string | null; displayName: string };
  stream: { id: string; title: string; category: string };
  createdAt: string;
  read: boolean;
}
