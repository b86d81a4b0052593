// Pure encode/decode of chat frames, apart from the socket so what we accept from the wire can
// be tested without one. The envelope rules are the signaling socket's too (socket/envelope.ts);
// this names chat's part. The server owns the payload schemas; we check the envelope.
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
import { encodeEnvelope, eventNameGuard, isRecord, parseEnvelope, type InvalidFrame, type ReplyFrame } from '../socket/envelope.ts';

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
  | ReplyFrame<ChatErrorBody>
  | { kind: 'event'; event: ChatEventName; data: ChatEventMap[ChatEventName] }
  | InvalidFrame;

// Keyed by the contract's event names, so an event the server adds shows up here as a type error.
const isEventName = eventNameGuard<ChatEventName>({
  message: true,
  deleted: true,
  settings: true,
  restricted: true,
  notification: true,
});

export function encodeChatRequest<T extends ChatRequestType>(id: number, type: T, data: ChatRequestData<T>): string {
  return encodeEnvelope(CHAT_PROTOCOL_VERSION, id, type, data);
}

/** Classify one text frame from the server. Never throws. */
export function parseChatFrame(raw: unknown): ChatServerFrame {
  return parseEnvelope(raw, {
    version: CHAT_PROTOCOL_VERSION,
    eventNoun: 'event',
    isEvent: isEventName,
    event: (event, data) => ({ kind: 'event', event, data: data as unknown as ChatEventMap[ChatEventName] }),
    // Only what the client shows: the code, the message, and why the account may not write.
    error: (body) => {
      const restriction = isRecord(body.restriction) ? (body.restriction as unknown as ChatRestriction) : undefined;
      return { code: body.code, message: body.message, ...(restriction ? { restriction } : {}) };
    },
  });
}
