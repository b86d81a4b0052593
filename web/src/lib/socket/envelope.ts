// The envelope the browser's two WebSocket protocols (signaling and chat) share: JSON text with a
// version `v`; a request carries an `id` its reply echoes with `ok` and `data` or `error`; a server
// event carries `event` and `data` and no id. One parser for it, so both sockets accept and drop
// exactly the same frames; a protocol names only its version, its events, how it wraps an event
// and what its error body keeps. The server owns the payload schemas: we check the envelope.

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What every error body holds; a protocol may keep more of it. */
export type ErrorFields = Record<string, unknown> & { code: string; message: string };

export type ReplyFrame<Err> =
  | { kind: 'response'; id: number; ok: true; data: unknown }
  | { kind: 'response'; id: number | null; ok: false; error: Err };

export type InvalidFrame = { kind: 'invalid'; reason: string };

export interface EnvelopeProtocol<Name extends string, Event, Err extends { code: string; message: string }> {
  version: number;
  /** What the protocol calls its server events, in the reason a frame was dropped. */
  eventNoun: string;
  isEvent: (name: unknown) => name is Name;
  event: (name: Name, data: Record<string, unknown>) => Event;
  /** The part of a well-formed error body the protocol surfaces. */
  error: (body: ErrorFields) => Err;
}

/**
 * A guard for a protocol's event names. A Record keyed by them makes the compiler flag any event
 * the contract adds that the client does not know yet; own keys only, so `toString` is no event.
 */
export function eventNameGuard<Name extends string>(known: Record<Name, true>): (name: unknown) => name is Name {
  return (name: unknown): name is Name => typeof name === 'string' && Object.hasOwn(known, name);
}

export function encodeEnvelope(version: number, id: number, type: string, data: unknown): string {
  return JSON.stringify({ v: version, id, type, data });
}

function errorFields(value: unknown): value is ErrorFields {
  return isRecord(value) && typeof value.code === 'string' && typeof value.message === 'string';
}

/** Classify one frame from the server. Never throws. */
export function parseEnvelope<Name extends string, Event, Err extends { code: string; message: string }>(
  raw: unknown,
  protocol: EnvelopeProtocol<Name, Event, Err>,
): ReplyFrame<Err> | Event | InvalidFrame {
  if (typeof raw !== 'string') return { kind: 'invalid', reason: 'non-text frame' };
  let msg: unknown;
  try {
    msg = JSON.parse(raw);
  } catch {
    return { kind: 'invalid', reason: 'malformed JSON' };
  }
  if (!isRecord(msg)) return { kind: 'invalid', reason: 'frame is not an object' };
  if (msg.v !== protocol.version) return { kind: 'invalid', reason: `unsupported version ${String(msg.v)}` };

  if ('event' in msg) {
    if (!protocol.isEvent(msg.event)) return { kind: 'invalid', reason: `unknown event ${String(msg.event)}` };
    if (!isRecord(msg.data)) return { kind: 'invalid', reason: `event ${msg.event} without data` };
    return protocol.event(msg.event, msg.data);
  }

  if (msg.ok === true) {
    if (typeof msg.id !== 'number' || !Number.isInteger(msg.id)) return { kind: 'invalid', reason: 'response without id' };
    return { kind: 'response', id: msg.id, ok: true, data: msg.data ?? {} };
  }
  if (msg.ok === false) {
    const id = typeof msg.id === 'number' && Number.isInteger(msg.id) ? msg.id : null;
    // A reply we cannot read still fails its request, with a code every protocol has.
    const error = errorFields(msg.error) ? protocol.error(msg.error) : ({ code: 'internal', message: 'Malformed error response' } as Err);
    return { kind: 'response', id, ok: false, error };
  }
  return { kind: 'invalid', reason: `neither response nor ${protocol.eventNoun}` };
}
