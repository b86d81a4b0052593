import { z } from 'zod';

const AccountId = z.string().regex(/^0x[0-9a-f]{64}$/);
const Author = z.object({ id: AccountId, handle: z.string().max(24).nullable(), displayName: z.string().max(64), badge: z.enum(['creator', 'moderator']).nullable() });
const Message = z.object({
  id: z.string().regex(/^[0-9]{1,19}$/),
  room: z.string().uuid(),
  author: Author,
  text: z.string().max(2000),
  replyTo: z.object({ id: z.string(), author: z.string().max(64), text: z.string().max(2000) }).nullable(),
  mentions: z.array(AccountId).max(20),
  tip: z.object({ amount: z.string().regex(/^[0-9]{1,39}$/) }).nullable(),
  sentAt: z.string().max(40),
});
const Settings = z.object({
  slowModeSeconds: z.number().int(),
  followersOnly: z.boolean(),
  followMinMinutes: z.number().int(),
  blockedTerms: z.array(z.string().max(64)).max(200),
});
const Restriction = z.object({
  reason: z.enum(['banned', 'timed_out', 'followers_only', 'slow_mode', 'sign_in']),
  until: z.string().max(40).nullable(),
  message: z.string().max(300),
});
const Notice = z.object({
  id: z.string().max(20),
  kind: z.literal('live'),
  creator: z.object({ id: AccountId, handle: z.string().max(24).nullable(), displayName: z.string().max(64) }),
  stream: z.object({ id: z.string().uuid(), title: z.string().max(200), category: z.string().max(64) }),
  createdAt: z.string().max(40),
  read: z.boolean(),
});

/**
 * What travels between social instances (and from signaling, for go-live). Every envelope is
 * parsed on arrival: Redis is shared infrastructure, not a trusted peer. `at` is the sender's
 * clock when the event was accepted, for the fan-out lag metric.
 */
export const BusEnvelope = z.discriminatedUnion('event', [
  z.object({ event: z.literal('message'), at: z.number(), room: z.string().uuid(), data: Message }),
  z.object({ event: z.literal('deleted'), at: z.number(), room: z.string().uuid(), data: z.object({ room: z.string().uuid(), messageIds: z.array(z.string().regex(/^[0-9]{1,19}$/)).max(500) }) }),
  z.object({ event: z.literal('settings'), at: z.number(), room: z.string().uuid(), data: z.object({ room: z.string().uuid(), settings: Settings }) }),
  z.object({ event: z.literal('restricted'), at: z.number(), account: AccountId, data: z.object({ room: z.string().uuid(), restriction: Restriction }) }),
  z.object({ event: z.literal('notification'), at: z.number(), account: AccountId, data: Notice }),
]);
export type BusEnvelope = z.infer<typeof BusEnvelope>;

/** Room events go to the room's topic; account events to one topic every instance hears. */
export type BusTopic = { room: string } | 'accounts';

/**
 * Fan-out between social instances. Every instance delivers what it hears, its own messages
 * included, so all sockets of a room see one order: the bus's.
 */
export interface ChatBus {
  publish(topic: BusTopic, envelope: BusEnvelope): Promise<void>;
  /** Starts hearing a topic; resolves once the subscription is in place. */
  subscribe(topic: BusTopic): Promise<void>;
  unsubscribe(topic: BusTopic): Promise<void>;
  /** The one handler for everything heard. */
  onEnvelope(handler: (envelope: BusEnvelope) => void): void;
  close(): Promise<void>;
}

export function topicName(prefix: string, topic: BusTopic): string {
  return topic === 'accounts' ? `${prefix}accounts` : `${prefix}room:${topic.room}`;
}
