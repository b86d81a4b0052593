// Pure encode/decode of chat frames, apart from the socket so what we accept from the wire can
// be tested without one. The server owns the payload schemas; we check the envelope.
import {
  CHAT_PROTOCOL_VERSION,
  type ChatEventMap,
  type ChatEventName,
  type ChatJoined,
  type ChatAuthor,
  type ChatMessage,
  type ChatRequestData,
  type ChatRequestType,
  type ChatRestriction,
} from '@vilokanam/contracts/chat';

/** What each request answers with (the contract's `data`). */
export interface ChatResponseMap {
  join: ChatJoined;
  leave: Record<string, never>;
  send: { message: ChatMessage };
  history: { messages: ChatMessage[] };
  chatters: { chatters: ChatAuthor[] };
  delete: Record<string, never>;
  timeout: Record<string, never>;
  ban: Record<string, never>;
  unban: Record<string, never>;
  settings: Record<string, never>;
}

export interface ChatErrorBody {
  code: string;
  message: string;
  restriction?: ChatRestriction;
}

export type ChatServerFrame =
  | { kind: 'response'; id: number; ok: true; data: unknown }
  | { kind: 'response'; id: number | null; ok: false; error: ChatErrorBody }
  | { kind: 'event'; event: ChatEventName; data: ChatEventMap[ChatEventName] }
  | { kind: 'invalid'; reason: string };

// Keyed by the contract's event names, so an event the server adds shows up here as a type error.
const KNOWN_EVENTS: Record<ChatEventName, true> = {
  message: true,
  deleted: true,
  settings: true,
  restricted: true,
  notification: true,
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEventName(name: unknown): name is ChatEventName {
  return typeof name === 'string' && Object.hasOwn(KNOWN_EVENTS, name);
}

function errorBody(value: unknown): ChatErrorBody {
  if (!isRecord(value) || typeof value.code !== 'string' || typeof value.message !== 'string') {
    return { code: 'internal', message: 'Malformed error response' };
  }
  const restriction = isRecord(value.restriction) ? (value.restriction as unknown as ChatRestriction) : undefined;
  return { code: value.code, message: value.message, ...(restriction ? { restriction } : {}) };
}

export function encodeChatRequest<T extends ChatRequestType>(id: number, type: T, data: ChatRequestData<T>): string {
  return JSON.stringify({ v: CHAT_PROTOCOL_VERSION, id, type, data });
}

/** Classify one text frame from the server. Never throws. */
export function parseChatFrame(raw: unknown): ChatServerFrame {
  if (typeof raw !== 'string') return { kind: 'invalid', reason: 'non-text frame' };
  let msg: unknown;
  try {
    msg = JSON.parse(raw);
  } catch {
    return { kind: 'invalid', reason: 'malformed JSON' };
  }
  if (!isRecord(msg)) return { kind: 'invalid', reason: 'frame is not an object' };
  if (msg.v !== CHAT_PROTOCOL_VERSION) return { kind: 'invalid', reason: `unsupported version ${String(msg.v)}` };
  if ('event' in msg) {
    if (!isEventName(msg.event)) return { kind: 'invalid', reason: `unknown event ${String(msg.event)}` };
    if (!isRecord(msg.data)) return { kind: 'invalid', reason: `event ${msg.event} without data` };
    return { kind: 'event', event: msg.event, data: msg.data as unknown as ChatEventMap[ChatEventName] };
  }
  if (msg.ok === true) {
    if (typeof msg.id !== 'number' || !Number.isInteger(msg.id)) return { kind: 'invalid', reason: 'response without id' };
    return { kind: 'response', id: msg.id, ok: true, data: msg.data ?? {} };
  }
  if (msg.ok === false) {
    const id = typeof msg.id === 'number' && Number.isInteger(msg.id) ? msg.id : null;
    return { kind: 'response', id, ok: false, error: errorBody(msg.error) };
  }
  return { kind: 'invalid', reason: 'neither response nor event' };
}
