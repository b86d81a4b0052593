import { describe, expect, it } from 'vitest';
import { chatLength, chatPieces, isSafeImageUrl, linkOf } from './chatText.ts';

const emotes = [
  { code: 'PogDance', url: '/api/v1/emotes/files/pog.webp', channel: null },
  { code: 'Evil', url: 'javascript:alert(1)', channel: 'x' },
];

describe('chatPieces', () => {
  it('keeps plain text (markup included) as text, whitespace and newlines intact', () => {
    expect(chatPieces('<b>hi</b>  there\nyou')).toEqual([{ kind: 'text', text: '<b>hi</b>  there\nyou' }]);
  });

  it('makes http(s) words links, leaving sentence punctuation outside', () => {
    expect(chatPieces('see https://example.org/a?b=1. ok')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://example.org/a?b=1', href: 'https://example.org/a?b=1' },
      { kind: 'text', text: '. ok' },
    ]);
  });

  it('never links other schemes', () => {
    expect(chatPieces('javascript:alert(1) data:text/html,x ftp://x.org')).toEqual([{ kind: 'text', text: 'javascript:alert(1) data:text/html,x ftp://x.org' }]);
    expect(linkOf('https://')).toBeNull();
  });

  it('shows a word that is exactly an emote code as the emote, and only safe image addresses', () => {
    expect(chatPieces('PogDance PogDances Evil', emotes)).toEqual([
      { kind: 'emote', code: 'PogDance', url: '/api/v1/emotes/files/pog.webp' },
      { kind: 'text', text: ' PogDances Evil' },
    ]);
    expect(chatPieces('PogDance')).toEqual([{ kind: 'text', text: 'PogDance' }]);
    expect(isSafeImageUrl('//evil.example/x.png')).toBe(false);
  });

  it('marks @handles', () => {
    expect(chatPieces('hi @Alice_1, and @x')).toEqual([
      { kind: 'text', text: 'hi ' },
      { kind: 'mention', text: '@Alice_1', handle: 'alice_1' },
      { kind: 'text', text: ', and @x' },
    ]);
  });
});

describe('chatLength', () => {
  it('counts code points of the trimmed text, as the server does', () => {
    expect(chatLength('  héllo 👋 ')).toBe(7);
  });
});
