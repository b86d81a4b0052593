// Pure encode/decode of signaling frames, kept apart from the socket so the parsing
// rules (what we accept from the wire, what we drop) can be tested without a network.
import {
  PROTOCOL_VERSION,
  type ErrorBody,
  type NotificationFrame,
  type NotificationMap,
  type RequestData,
  type RequestType,
} from '@vilokanam/contracts/signaling';

export type ServerFrame =
  | { kind: 'response'; id: number; ok: true; data: unknown }
  | { kind: 'response'; id: number | null; ok: false; error: ErrorBody }
  | { kind: 'notification'; frame: NotificationFrame }
  | { kind: 'invalid'; reason: string };

// A Record keyed by the protocol's event names makes the compiler flag any event the
// server adds that this client does not yet know about.
const KNOWN_EVENTS: Record<keyof NotificationMap, true> = {
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
};

export function isNotificationEvent(name: unknown): name is keyof NotificationMap {
  return typeof name === 'string' && Object.hasOwn(KNOWN_EVENTS, name);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isErrorBody(value: unknown): value is ErrorBody {
  return isRecord(value) && typeof value.code === 'string' && typeof value.message === 'string';
}

export function encodeRequest<T extends RequestType>(id: number, type: T, data: RequestData<T>): string {
  return JSON.stringify({ v: PROTOCOL_VERSION, id, type, data });
}

/** Classify one text frame from the server. Never throws. */
export function parseServerFrame(raw: unknown): ServerFrame {
  if (typeof raw !== 'string') return { kind: 'invalid', reason: 'non-text frame' };
  let msg: unknown;
  try {
    msg = JSON.parse(raw);
  } catch {
    return { kind: 'invalid', reason: 'malformed JSON' };
  }
  if (!isRecord(msg)) return { kind: 'invalid', reason: 'frame is not an object' };
  if (msg.v !== PROTOCOL_VERSION) return { kind: 'invalid', reason: `unsupported version ${String(msg.v)}` };

  if ('event' in msg) {
    if (!isNotificationEvent(msg.event)) return { kind: 'invalid', reason: `unknown event ${String(msg.event)}` };
    if (!isRecord(msg.data)) return { kind: 'invalid', reason: `event ${msg.event} without data` };
    // The server is the schema owner; we check the envelope, not every payload field.
    return { kind: 'notification', frame: { v: PROTOCOL_VERSION, event: msg.event, data: msg.data } as NotificationFrame };
  }

  if (msg.ok === true) {
    if (typeof msg.id !== 'number' || !Number.isInteger(msg.id)) return { kind: 'invalid', reason: 'response without id' };
    return { kind: 'response', id: msg.id, ok: true, data: msg.data ?? {} };
  }
  if (msg.ok === false) {
    const id = typeof msg.id === 'number' && Number.isInteger(msg.id) ? msg.id : null;
    const error = isErrorBody(msg.error) ? msg.error : { code: 'internal' as const, message: 'Malformed error response' };
    return { kind: 'response', id, ok: false, error };
  }
  return { kind: 'invalid', reason: 'neither response nor notification' };
}
