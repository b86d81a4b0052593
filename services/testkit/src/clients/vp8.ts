// Reads what a VP8 RTP payload says about its frame, so a headless receiver can count
// frames and see the resolution without decoding (RFC 7741 payload descriptor + RFC 6386).

export interface Vp8Info {
  /** First packet of a frame (S bit set, partition 0). */
  frameStart: boolean;
  keyframe: boolean;
  width: number | undefined;
  height: number | undefined;
  /** Where the VP8 payload starts: an SFU rewrites the descriptor before it, never what follows. */
  offset: number;
}

export function parseVp8(payload: Uint8Array): Vp8Info | undefined {
  if (payload.length < 1) return undefined;
  const b0 = payload[0]!;
  const start = (b0 & 0x10) !== 0 && (b0 & 0x07) === 0;
  let i = 1;
  if (b0 & 0x80) {
    const x = payload[i++];
    if (x === undefined) return undefined;
    if (x & 0x80) i += (payload[i]! & 0x80) ? 2 : 1; // PictureID, 7 or 15 bits
    if (x & 0x40) i += 1; // TL0PICIDX
    if (x & 0x30) i += 1; // TID / KEYIDX
  }
  if (!start) return { frameStart: false, keyframe: false, width: undefined, height: undefined, offset: i };
  const h = payload.subarray(i);
  if (h.length < 3) return undefined;
  const keyframe = (h[0]! & 0x01) === 0;
  if (!keyframe || h.length < 10 || h[3] !== 0x9d || h[4] !== 0x01 || h[5] !== 0x2a) {
    return { frameStart: true, keyframe, width: undefined, height: undefined, offset: i };
  }
  return {
    frameStart: true,
    keyframe: true,
    width: (h[6]! | (h[7]! << 8)) & 0x3fff,
    height: (h[8]! | (h[9]! << 8)) & 0x3fff,
    offset: i,
  };
}
