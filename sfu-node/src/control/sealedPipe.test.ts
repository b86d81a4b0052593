// Two real sfu-node processes and a real pipe between them, set up as signaling sets up a
// cascade (StreamRoutes), with every control frame recorded on its way to each node (WsTap,
// as a sniffer on the host network would). Media crosses the pipe, so both ends got the
// right SRTP keys; none of them crossed the control channel in the clear.
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@vilokanam/testkit';
import { SfuProcess, Vp8PipeSource, WsTap } from '@vilokanam/testkit/media';
import { ControlAuth } from './ControlAuth.ts';
import { RemoteSfu } from './RemoteSfu.ts';

const REDIS_URL = 'redis://127.0.0.1:6379/5';
const secret = randomBytes(32).toString('hex');
const log = pino({ level: 'silent' });
const taps: WsTap[] = [];
const nodes: SfuProcess[] = [];
const remotes: RemoteSfu[] = [];
let source: Vp8PipeSource | undefined;

/** A node on its own loopback address, reached through a tap it also answers to. */
async function tappedNode(nodeId: string, ip: string, rtcMinPort: number): Promise<RemoteSfu> {
  const tap = await WsTap.start();
  taps.push(tap);
  const node = await SfuProcess.start({
    nodeId, ip, redisUrl: REDIS_URL, controlSecret: secret, rtcMinPort, rtcMaxPort: rtcMinPort + 99, fleet: 'sealed-pipe',
    env: { VILO_SFU_CONTROL_URLS: tap.url },
  });
  nodes.push(node);
  tap.upstream = node.controlUrl;
  const remote = new RemoteSfu({ nodeId, url: tap.url, auth: new ControlAuth(secret), caller: 'test', log });
  remotes.push(remote);
  return remote;
}

let origin: RemoteSfu;
let edge: RemoteSfu;

beforeAll(async () => {
  origin = await tappedNode('pipe-origin', '127.0.0.50', 48200);
  edge = await tappedNode('pipe-edge', '127.0.0.51', 48300);
}, 60_000);

afterAll(async () => {
  source?.close();
  for (const r of remotes) r.close();
  await Promise.all(taps.map((t) => t.close()));
  await Promise.all(nodes.map((n) => n.stop()));
});

describe('a pipe between two sfu-node processes', () => {
  it('carries media while its SRTP keys cross the control channel only sealed', async () => {
    source = await Vp8PipeSource.into(origin, 'live');
    const [a, b] = await Promise.all([origin.createPipeTransport('live'), edge.createPipeTransport('live')]);
    await Promise.all([
      origin.connectPipeTransport(a.id, { ip: b.ip, port: b.port, srtpParameters: b.srtpParameters }),
      edge.connectPipeTransport(b.id, { ip: a.ip, port: a.port, srtpParameters: a.srtpParameters }),
    ]);
    await edge.pipeProduce(b.id, await origin.pipeConsume(a.id, source.producerId));
    const video = await waitFor('video to reach the edge through the pipe', async () => (await edge.streamHealth('live')).layers.find((l) => l.kind === 'video' && l.bitrate > 0), 20_000);
    console.log(`[sealed pipe] edge receives ${Math.round(video.bitrate / 1000)} kbit/s over SRTP`);

    const wire = taps.map((t) => t.text()).join('\n');
    const keys = [a, b, source.pipe].map((end) => (end.srtpParameters as { keyBase64: string }).keyBase64);
    expect(keys.every((k) => k.length >= 40)).toBe(true);
    for (const key of keys) {
      expect(wire).not.toContain(key);
      expect(wire).not.toContain(Buffer.from(key, 'base64').toString('hex'));
    }
    expect(wire).not.toMatch(/keyBase64|cryptoSuite/);

    // The tap did see the pipe being set up: three connects (the source's and both ends), sealed.
    const connects = taps
      .flatMap((t) => t.frames.filter((f) => f.dir === 'up').map((f) => JSON.parse(f.data) as { method: string; params: unknown[] }))
      .filter((f) => f.method === 'connectPipeTransport');
    expect(connects).toHaveLength(3);
    for (const c of connects) expect((c.params[1] as { srtpParameters: unknown }).srtpParameters).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
  });
});
