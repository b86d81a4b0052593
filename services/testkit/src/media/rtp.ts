// Minimal RTP/RTCP helpers for tests and benchmarks that feed real workers over UDP.
import dgram from 'node:dgram';

export function rtpPacket(opts: { pt: number; seq: number; ts: number; ssrc: number; payload: Buffer }): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = opts.pt & 0x7f;
  header.writeUInt16BE(opts.seq & 0xffff, 2);
  header.writeUInt32BE(opts.ts >>> 0, 4);
  header.writeUInt32BE(opts.ssrc >>> 0, 8);
  return Buffer.concat([header, opts.payload]);
}

/** RTCP packet types occupy 192..223 in the second byte when RTP and RTCP share a port. */
export function isRtcp(packet: Buffer): boolean {
  return packet.length >= 8 && (packet[1] ?? 0) >= 192 && (packet[1] ?? 0) <= 223;
}

/** Payload after the fixed header, CSRCs and any header extension. */
export function rtpPayload(packet: Buffer): Buffer {
  const first = packet[0] ?? 0;
  let offset = 12 + (first & 0x0f) * 4;
  if (first & 0x10) offset += 4 + packet.readUInt16BE(offset + 2) * 4;
  let end = packet.length;
  if (first & 0x20) end -= packet[packet.length - 1] ?? 0;
  return packet.subarray(offset, end);
}

export async function udpSocket(): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

export function port(socket: dgram.Socket): number {
  return socket.address().port;
}
