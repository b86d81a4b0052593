// Proves the worker's libsrtp3 → libsrtp2 port: SRTP/SRTCP between two real workers for
// every crypto suite, with a UDP relay in the middle that sees the ciphertext and can tamper,
// replay or (with a wrong key) show that nothing undecryptable gets through.
import type dgram from 'node:dgram';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRtcp, port, rtpPacket, rtpPayload, udpSocket } from '@vilokanam/testkit/media';
import { waitFor } from '@vilokanam/testkit';

const workerBin = process.env.MEDIASOUP_WORKER_BIN;
if (!workerBin) throw new Error('MEDIASOUP_WORKER_BIN must point at the built worker (scripts/env.sh sets it)');

const codecs: types.RouterRtpCodecCapability[] = [{ kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 }];
const SUITES: types.SrtpCryptoSuite[] = [
  'AEAD_AES_256_GCM',
  'AEAD_AES_128_GCM',
  'AES_CM_128_HMAC_SHA1_80',
  'AES_CM_128_HMAC_SHA1_32',
];
const listenInfo: types.TransportListenInfo = { protocol: 'udp', ip: '127.0.0.1' };

let workerA: types.Worker;
let workerB: types.Worker;

beforeAll(async () => {
  workerA = await mediasoup.createWorker({ workerBin, logLevel: 'error' });
  workerB = await mediasoup.createWorker({ workerBin, logLevel: 'error' });
});
afterAll(() => {
  workerA?.close();
  workerB?.close();
});

type RelayMode = 'forward' | 'tamper' | 'replay';

interface Chain {
  send(count: number): Promise<void>;
  received: Map<number, Buffer>;
  relayed: { rtpFromA: Buffer[]; rtcpFromA: number; rtcpFromB: number };
  consumerA: types.Consumer;
  producerB: types.Producer;
  close(): void;
}

/** source → A.plainIn → A.srtpOut ⇄ relay ⇄ B.srtpIn → B.plainOut → sink */
async function buildChain(suite: types.SrtpCryptoSuite, mode: RelayMode, corruptKey = false): Promise<Chain> {
  const routerA = await workerA.createRouter({ mediaCodecs: codecs });
  const routerB = await workerB.createRouter({ mediaCodecs: codecs });
  const source = await udpSocket();
  const relay = await udpSocket();
  const sink = await udpSocket();

  const plainIn = await routerA.createPlainTransport({ listenInfo, rtcpMux: true, comedia: true });
  const producerA = await plainIn.produce({
    kind: 'audio',
    rtpParameters: {
      codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }],
      encodings: [{ ssrc: 0x1111 }],
    },
  });
  const srtpOut = await routerA.createPlainTransport({ listenInfo, rtcpMux: true, comedia: false, enableSrtp: true, srtpCryptoSuite: suite });
  const srtpIn = await routerB.createPlainTransport({ listenInfo, rtcpMux: true, comedia: true, enableSrtp: true, srtpCryptoSuite: suite });

  const keyForB = srtpOut.srtpParameters!;
  const keyB = corruptKey ? flipKeyByte(keyForB) : keyForB;
  await srtpOut.connect({ ip: '127.0.0.1', port: port(relay), srtpParameters: srtpIn.srtpParameters! });
  await srtpIn.connect({ srtpParameters: keyB });

  const consumerA = await srtpOut.consume({ producerId: producerA.id, rtpCapabilities: routerA.rtpCapabilities });
  const producerB = await srtpIn.produce({ kind: 'audio', rtpParameters: consumerA.rtpParameters });
  const plainOut = await routerB.createPlainTransport({ listenInfo, rtcpMux: true, comedia: false });
  await plainOut.connect({ ip: '127.0.0.1', port: port(sink) });
  await plainOut.consume({ producerId: producerB.id, rtpCapabilities: routerB.rtpCapabilities });

  const aPort = srtpOut.tuple.localPort;
  const bPort = srtpIn.tuple.localPort;
  const relayed = { rtpFromA: [] as Buffer[], rtcpFromA: 0, rtcpFromB: 0 };
  let rtpSeen = 0;
  relay.on('message', (msg, rinfo) => {
    if (rinfo.port === aPort) {
      if (isRtcp(msg)) relayed.rtcpFromA++;
      else {
        relayed.rtpFromA.push(Buffer.from(msg));
        rtpSeen++;
        if (mode === 'tamper' && rtpSeen % 5 === 0) msg[msg.length - 20]! ^= 0x01;
        if (mode === 'replay') relay.send(Buffer.from(msg), bPort, '127.0.0.1');
      }
      relay.send(msg, bPort, '127.0.0.1');
    } else if (rinfo.port === bPort) {
      if (isRtcp(msg)) relayed.rtcpFromB++;
      relay.send(msg, aPort, '127.0.0.1');
    }
  });

  const received = new Map<number, Buffer>();
  sink.on('message', (msg) => {
    if (isRtcp(msg)) return;
    const payload = rtpPayload(msg);
    received.set(payload.readUInt32BE(0), Buffer.from(payload));
  });

  let seq = 1000;
  return {
    received,
    relayed,
    consumerA,
    producerB,
    async send(count: number) {
      for (let i = 0; i < count; i++, seq++) {
        const packet = rtpPacket({ pt: 111, seq, ts: seq * 960, ssrc: 0x1111, payload: payloadFor(i) });
        await new Promise<void>((r) => source.send(packet, plainIn.tuple.localPort, '127.0.0.1', () => r()));
        if (i % 20 === 19) await new Promise((r) => setTimeout(r, 10));
      }
    },
    close() {
      routerA.close();
      routerB.close();
      for (const s of [source, relay, sink] as dgram.Socket[]) s.close();
    },
  };
}

/** Each payload carries its index and a recognisable plaintext marker. */
function payloadFor(i: number): Buffer {
  const payload = Buffer.alloc(600, 0x5a);
  payload.writeUInt32BE(i, 0);
  payload.write('VILOKANAM-PLAINTEXT', 4);
  return payload;
}

function flipKeyByte(params: types.SrtpParameters): types.SrtpParameters {
  const key = Buffer.from(params.keyBase64, 'base64');
  key[0]! ^= 0xff;
  return { ...params, keyBase64: key.toString('base64') };
}

describe('SRTP between two workers (libsrtp2 port)', () => {
  for (const suite of SUITES) {
    it(`${suite}: RTP arrives intact, encrypted on the wire, and SRTCP flows both ways`, async () => {
      const chain = await buildChain(suite, 'forward');
      try {
        await chain.send(200);
        await waitFor('all 200 packets at the sink', () => chain.received.size === 200, 5000);
        for (let i = 0; i < 200; i++) expect(chain.received.get(i)?.equals(payloadFor(i))).toBe(true);
        // The relay saw ciphertext only.
        expect(chain.relayed.rtpFromA.length).toBeGreaterThanOrEqual(200);
        expect(chain.relayed.rtpFromA.some((p) => p.includes('VILOKANAM-PLAINTEXT'))).toBe(false);
        // An RTT needs A's sender report decrypted by B and B's receiver report decrypted by A.
        await waitFor('an RTCP round trip across the SRTP hop', async () => {
          await chain.send(20);
          const stats = await chain.consumerA.getStats();
          return stats.some((s) => (s.roundTripTime ?? 0) > 0);
        }, 15_000);
        expect(chain.relayed.rtcpFromA).toBeGreaterThan(0);
        expect(chain.relayed.rtcpFromB).toBeGreaterThan(0);
      } finally {
        chain.close();
      }
    });
  }

  it('drops tampered packets (authentication) and forwards the rest', async () => {
    const chain = await buildChain('AES_CM_128_HMAC_SHA1_80', 'tamper');
    try {
      await chain.send(100);
      await waitFor('80 untampered packets', () => chain.received.size >= 80, 5000);
      await new Promise((r) => setTimeout(r, 300));
      expect(chain.received.size).toBe(80);
      for (const [i, payload] of chain.received) expect(payload.equals(payloadFor(i))).toBe(true);
    } finally {
      chain.close();
    }
  });

  it('drops replayed packets', async () => {
    const chain = await buildChain('AEAD_AES_256_GCM', 'replay');
    try {
      await chain.send(100);
      await waitFor('100 packets', () => chain.received.size === 100, 5000);
      const [stats] = await chain.producerB.getStats();
      // Every packet was sent twice across the hop, yet each was accepted once.
      expect(chain.relayed.rtpFromA.length).toBe(100);
      expect(stats?.packetCount).toBe(100);
    } finally {
      chain.close();
    }
  });

  it('accepts nothing encrypted under another key', async () => {
    const chain = await buildChain('AEAD_AES_128_GCM', 'forward', true);
    try {
      await chain.send(100);
      await waitFor('the relay to forward 100 packets', () => chain.relayed.rtpFromA.length >= 100, 5000);
      await new Promise((r) => setTimeout(r, 500));
      expect(chain.received.size).toBe(0);
      expect(await chain.producerB.getStats()).toEqual([]);
    } finally {
      chain.close();
    }
  });
});
