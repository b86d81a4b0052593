// A chat message's text as pieces to render, never as HTML: plain text, http(s) links (shown as
// links, never embedded), emotes (a word that is exactly an emote's code) and @mentions.
import type { Emote } from '@vilokanam/contracts/chat';

export type ChatPiece =
  | { kind: 'text'; text: string }
  | { kind: 'link'; text: string; href: string }
  | { kind: 'emote'; code: string; url: string }
  | { kind: 'mention'; text: string; handle: string };

const TRAILING_PUNCTUATION = /[.,;:!?)\]}'"]+$/;
const MENTION = /^@([A-Za-z0-9_]{3,24})$/;

/** An image address we are willing to load: same-origin paths and http(s) only. */
export function isSafeImageUrl(url: string): boolean {
  return (url.startsWith('/') && !url.startsWith('//')) || /^https?:\/\//i.test(url);
}

/** The link a word is, or null: only http and https, and only if it parses. */
export function linkOf(word: string): string | null {
  if (!/^https?:\/\//i.test(word)) return null;
  try {
    const url = new URL(word);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

function wordPieces(word: string, emotes: ReadonlyMap<string, Emote>): ChatPiece[] {
  const emote = emotes.get(word);
  if (emote && isSafeImageUrl(emote.url)) return [{ kind: 'emote', code: emote.code, url: emote.url }];
  // "see https://x.org/a." ends the sentence, not the link.
  const tail = TRAILING_PUNCTUATION.exec(word)?.[0] ?? '';
  const core = tail ? word.slice(0, -tail.length) : word;
  const rest: ChatPiece[] = tail ? [{ kind: 'text', text: tail }] : [];
  const href = linkOf(core);
  if (href) return [{ kind: 'link', text: core, href }, ...rest];
  const mention = MENTION.exec(core);
  if (mention) return [{ kind: 'mention', text: core, handle: mention[1]!.toLowerCase() }, ...rest];
  return [{ kind: 'text', text: word }];
}

export function chatPieces(text: string, emotes: readonly Emote[] = []): ChatPiece[] {
  const byCode = new Map(emotes.map((e) => [e.code, e]));
  const out: ChatPiece[] = [];
  for (const part of text.split(/(\s+)/)) {
    if (part === '') continue;
    const pieces = /^\s+$/.test(part) ? [{ kind: 'text', text: part } as const] : wordPieces(part, byCode);
    for (const piece of pieces) {
      const last = out.at(-1);
      if (piece.kind === 'text' && last?.kind === 'text') last.text += piece.text;
      else out.push(piece.kind === 'text' ? { ...piece } : piece);
    }
  }
  return out;
}

/** Characters as the server counts them: code points, not UTF-16 units. */
export function chatLength(text: string): number {
  return [...text.normalize('NFC').trim()].length;
}
