// Pure encode/decode of signaling frames, kept apart from the socket so the parsing
// rules (what we accept from the wire, what we drop) can be tested without a network.
// The envelope rules are the chat socket's too (socket/envelope.ts); this names signaling's part.
import {
  PROTOCOL_VERSION,
  type ErrorBody,
  type NotificationFrame,
  type NotificationMap,
  type RequestData,
  type RequestType,
} from '@vilokanam/contracts/signaling';
import { encodeEnvelope, eventNameGuard, parseEnvelope, type InvalidFrame, type ReplyFrame } from './socket/envelope.ts';

export type ServerFrame = ReplyFrame<ErrorBody> | { kind: 'notification'; frame: NotificationFrame } | InvalidFrame;

// Keyed by the protocol's event names, so any event the server adds that this client
// does not yet know about is a type error here.
export const isNotificationEvent = eventNameGuard<keyof NotificationMap>({
  producerAdded: true,
  producerClosed: true,
  consumerClosed: true,
  consumerLayers: true,
  consumerPaused: true,
  consumerResumed: true,
  viewers: true,
  streamEnded: true,
  streamLive: true,
  overdraft: true,
});

export function encodeRequest<T extends RequestType>(id: number, type: T, data: RequestData<T>): string {
  return encodeEnvelope(PROTOCOL_VERSION, id, type, data);
}

/** Classify one text frame from the server. Never throws. */
export function parseServerFrame(raw: unknown): ServerFrame {
  return parseEnvelope(raw, {
    version: PROTOCOL_VERSION,
    eventNoun: 'notification',
    isEvent: isNotificationEvent,
    event: (event, data) => ({ kind: 'notification', frame: { v: PROTOCOL_VERSION, event, data } as NotificationFrame }),
    // The server is typed against ErrorCode; the body is surfaced as it came.
    error: (body) => body as ErrorBody,
  });
}
