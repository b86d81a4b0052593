// A synthetic VP8 RTP stream with the packet shape of 720p30 at ~1.5 Mbit/s: payload
// descriptors, keyframe headers with dimensions, and marker bits, so an SFU treats it like a
// camera stream. An SFU never decodes, so the payload bytes can be noise.
import { randomBytes } from 'node:crypto';
import type dgram from 'node:dgram';

export const SOURCE_SSRC = 0x11223344;
export const SOURCE_PT = 96;
const FPS = 30;
const BITRATE = 1_500_000;
const MTU_PAYLOAD = 1100;
const KEYFRAME_EVERY = 60;

function header(seq: number, ts: number, marker: boolean): Buffer {
  const h = Buffer.alloc(12);
  h[0] = 0x80;
  h[1] = (marker ? 0x80 : 0) | SOURCE_PT;
  h.writeUInt16BE(seq & 0xffff, 2);
  h.writeUInt32BE(ts >>> 0, 4);
  h.writeUInt32BE(SOURCE_SSRC, 8);
  return h;
}

/** Packets of one frame: the first carries S=1, and keyframes carry 1280x720. */
function framePackets(frame: number, seqStart: number): Buffer[] {
  const keyframe = frame % KEYFRAME_EVERY === 0;
  const bytes = Math.round((BITRATE / 8 / FPS) * (keyframe ? 4 : 0.95));
  const count = Math.max(1, Math.ceil(bytes / MTU_PAYLOAD));
  const ts = frame * (90000 / FPS);
  const packets: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const body = randomBytes(Math.min(MTU_PAYLOAD, bytes - i * MTU_PAYLOAD));
    const descriptor = Buffer.from([i === 0 ? 0x10 : 0x00]);
    let payload = Buffer.concat([descriptor, body]);
    if (i === 0) {
      // Frame tag: bit 0 clear marks a keyframe, then the start code and 14-bit dimensions.
      payload[1] = keyframe ? 0x10 : 0x11;
      if (keyframe) Buffer.from([0x9d, 0x01, 0x2a, 0x00, 0x05, 0xd0, 0x02]).copy(payload, 4);
    }
    packets.push(Buffer.concat([header(seqStart + i, ts, i === count - 1), payload]));
  }
  return packets;
}

export interface Vp8Source {
  stop(): void;
  readonly packetsPerSecond: number;
  /** Packets actually sent so far: under CPU contention the source itself can fall behind. */
  readonly sent: number;
}

/** Sends the stream to 127.0.0.1:port in real time until stopped. */
export function startVp8Source(socket: dgram.Socket, port: number): Vp8Source {
  let frame = 0;
  let seq = 1;
  let sent = 0;
  const perSecond: number[] = [];
  const timer = setInterval(() => {
    const packets = framePackets(frame++, seq);
    seq += packets.length;
    perSecond.push(packets.length);
    for (const p of packets) socket.send(p, port, '127.0.0.1');
    sent += packets.length;
  }, 1000 / FPS);
  return {
    stop: () => clearInterval(timer),
    get sent() {
      return sent;
    },
    get packetsPerSecond() {
      const last = perSecond.slice(-FPS * 4);
      return (last.reduce((a, b) => a + b, 0) / Math.max(1, last.length)) * FPS;
    },
  };
}
