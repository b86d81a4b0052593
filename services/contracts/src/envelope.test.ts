import { describe, expect, it } from 'vitest';
import { ChatRequestFrame } from './chat.ts';
import { RequestFrame } from './signaling.ts';

describe('request envelope', () => {
  it('holds each protocol to its own version', () => {
    for (const schema of [RequestFrame, ChatRequestFrame]) {
      expect(schema.parse({ v: 1, id: 0, type: 'join', data: { x: 1 } })).toEqual({ v: 1, id: 0, type: 'join', data: { x: 1 } });
      expect(schema.safeParse({ v: 2, id: 0, type: 'join' }).success).toBe(false);
    }
  });

  it('refuses a negative or fractional id and an overlong type', () => {
    for (const schema of [RequestFrame, ChatRequestFrame]) {
      expect(schema.safeParse({ v: 1, id: -1, type: 'join' }).success).toBe(false);
      expect(schema.safeParse({ v: 1, id: 1.5, type: 'join' }).success).toBe(false);
      expect(schema.safeParse({ v: 1, id: 1, type: 'x'.repeat(65) }).success).toBe(false);
      expect(schema.safeParse({ v: 1, id: 1, type: 'x'.repeat(64) }).success).toBe(true);
    }
  });
});
