// The raw-mediasoup baseline's browser side: the fewest steps a plain mediasoup-client app
// takes to publish the fake camera in three simulcast layers (as the studio does) and to play
// it (ws, router capabilities, recv transport, consume, resume, first frame). Bundled for the
// browser by bench/lib/RawJoinServer.ts.
import { Device } from 'mediasoup-client';

type Call = (method: string, data?: unknown) => Promise<any>;

function connect(url: string): Promise<Call> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    let next = 0;
    const waiting = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void }>();
    ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data)) as { id: number; data?: unknown; error?: string };
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.error) w?.fail(new Error(m.error));
      else w?.ok(m.data);
    };
    ws.onerror = () => reject(new Error('ws failed'));
    ws.onopen = () =>
      resolve((method, data) => {
        const id = next++;
        ws.send(JSON.stringify({ id, method, data }));
        return new Promise((ok, fail) => waiting.set(id, { ok, fail }));
      });
  });
}

const ENCODINGS = [
  { rid: 'r0', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: 'r1', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: 'r2', scaleResolutionDownBy: 1, maxBitrate: 1_500_000 },
];

async function publish(url: string): Promise<void> {
  const call = await connect(url);
  const device = new Device();
  await device.load({ routerRtpCapabilities: await call('capabilities') });
  const transport = device.createSendTransport(await call('transport'));
  transport.on('connect', ({ dtlsParameters }, ok, fail) => void call('connect', { id: transport.id, dtlsParameters }).then(ok, fail));
  transport.on('produce', ({ kind, rtpParameters }, ok, fail) => void call('produce', { id: transport.id, kind, rtpParameters }).then(ok, fail));
  const media = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } } });
  await transport.produce({ track: media.getAudioTracks()[0]! });
  await transport.produce({ track: media.getVideoTracks()[0]!, encodings: ENCODINGS, codecOptions: { videoGoogleStartBitrate: 1000 } });
}

/** From the click to the first frame the video element presents, in ms. */
async function watch(url: string, video: HTMLVideoElement): Promise<number> {
  const start = performance.now();
  const call = await connect(url);
  const device = new Device();
  await device.load({ routerRtpCapabilities: await call('capabilities') });
  const transport = device.createRecvTransport(await call('transport'));
  transport.on('connect', ({ dtlsParameters }, ok, fail) => void call('connect', { id: transport.id, dtlsParameters }).then(ok, fail));
  const offers = (await call('consume', { id: transport.id, rtpCapabilities: device.rtpCapabilities })) as { id: string; producerId: string; kind: 'audio' | 'video'; rtpParameters: never }[];
  const consumers = await Promise.all(offers.map((o) => transport.consume(o)));
  video.srcObject = new MediaStream(consumers.map((c) => c.track));
  await Promise.all(consumers.map((c) => call('resume', { id: c.id })));
  await video.play().catch(() => {});
  return new Promise((resolve) => video.requestVideoFrameCallback(() => resolve(performance.now() - start)));
}

Object.assign(window, { rawPublish: publish, rawWatch: watch });
