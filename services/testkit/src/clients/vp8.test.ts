import { describe, expect, it } from 'vitest';
import { parseVp8 } from './vp8.ts';

// A VP8 keyframe start: descriptor with X, I (15-bit picture id), L, T; then the frame tag,
// the start code 9d 01 2a and 1280x720.
const keyframe = Uint8Array.from([0x90, 0xe0, 0x81, 0x23, 0x05, 0x40, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x00, 0x05, 0xd0, 0x02, 0xff]);

describe('parseVp8', () => {
  it('reads the resolution of a keyframe behind an extended descriptor', () => {
    expect(parseVp8(keyframe)).toEqual({ frameStart: true, keyframe: true, width: 1280, height: 720, offset: 6 });
  });
  it('marks a delta frame start without a resolution', () => {
    expect(parseVp8(Uint8Array.from([0x10, 0x01, 0x00, 0x00]))).toEqual({ frameStart: true, keyframe: false, width: undefined, height: undefined, offset: 1 });
  });
  it('treats continuation packets as mid-frame', () => {
    expect(parseVp8(Uint8Array.from([0x00, 0xaa, 0xbb]))?.frameStart).toBe(false);
    expect(parseVp8(Uint8Array.from([0x11, 0x00, 0x9d]))?.frameStart).toBe(false);
  });
  it('rejects truncated payloads', () => {
    expect(parseVp8(new Uint8Array())).toBeUndefined();
    expect(parseVp8(Uint8Array.from([0x90]))).toBeUndefined();
  });
});
