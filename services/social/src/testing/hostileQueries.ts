// Search text that would break a query built by pasting it in: LIKE wildcards, tsquery and SQL
// syntax, NUL, a lone surrogate, other scripts, the longest allowed.
export const HOSTILE_QUERIES = [
  '%',
  '_',
  '\\',
  '%_\\',
  "'; DROP TABLE streams; --",
  "music' OR '1'='1",
  'a & b | !c',
  'minecraft:*',
  '(((',
  '"unterminated',
  '-',
  'or',
  '<->',
  '!!!',
  'a:* & !b <2> c',
  '\u0000',
  'mine\u0000craft',
  '\uD800',
  'ᚠᛇᚻ᛫ᛒᛦᚦ',
  '😀 music',
  '$1',
  'x'.repeat(100),
];

