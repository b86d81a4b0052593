// The raw-mediasoup baseline for bench:join: one worker and router in this process, a WebSocket
// with the five requests a plain app needs, and a page whose button runs bench/raw/client.ts.
// The same Chromium, fake camera and click-to-first-frame measurement as the platform's page.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { build } from 'vite';
import { WebSocketServer } from 'ws';
import { mediaCodecs } from '@vilokanam/sfu-node';

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>raw</title></head><body>
<button id="watch" type="button">Watch</button><video id="v" playsinline autoplay muted></video>
<script src="/client.js"></script>
<script>document.getElementById('watch').onclick = () => rawWatch(location.origin.replace('http', 'ws'), document.getElementById('v')).then((ms) => document.body.dataset.joinMs = String(ms));</script>
</body></html>`;

/** The browser bundle of bench/raw/client.ts. */
async function bundle(): Promise<string> {
  const out = await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      write: false,
      minify: false,
      lib: { entry: fileURLToPath(new URL('../raw/client.ts', import.meta.url)), formats: ['iife'], name: 'RawClient', fileName: () => 'client.js' },
    },
  });
  const outputs = (Array.isArray(out) ? out : [out]) as { output: { type: string; code?: string }[] }[];
  const chunk = outputs[0]!.output.find((o) => o.type === 'chunk');
  if (!chunk?.code) throw new Error('raw client bundle is empty');
  return chunk.code;
}

export class RawJoinServer {
  readonly url: string;
  readonly #server: Server;
  readonly #worker: types.Worker;

  private constructor(url: string, server: Server, worker: types.Worker) {
    this.url = url;
    this.#server = server;
    this.#worker = worker;
  }

  static async start(workerBin: string): Promise<RawJoinServer> {
    const [code, worker] = await Promise.all([bundle(), mediasoup.createWorker({ workerBin, logLevel: 'warn' })]);
    const router = await worker.createRouter({ mediaCodecs });
    const producers: types.Producer[] = [];
    const server = createServer((req, res) => {
      const js = req.url === '/client.js';
      res.writeHead(200, { 'content-type': js ? 'text/javascript' : 'text/html' });
      res.end(js ? code : PAGE);
    });
    const wss = new WebSocketServer({ server });
    wss.on('connection', (ws) => {
      const transports = new Map<string, types.WebRtcTransport>();
      const consumers = new Map<string, types.Consumer>();
      const handle = async (method: string, d: any): Promise<unknown> => {
        switch (method) {
          case 'capabilities':
            return router.rtpCapabilities;
          case 'transport': {
            const t = await router.createWebRtcTransport({ listenInfos: [{ protocol: 'udp', ip: '127.0.0.1' }], enableUdp: true, initialAvailableOutgoingBitrate: 1_000_000 });
            transports.set(t.id, t);
            return { id: t.id, iceParameters: t.iceParameters, iceCandidates: t.iceCandidates, dtlsParameters: t.dtlsParameters };
          }
          case 'connect':
            return transports.get(d.id)!.connect({ dtlsParameters: d.dtlsParameters });
          case 'produce': {
            const p = await transports.get(d.id)!.produce({ kind: d.kind, rtpParameters: d.rtpParameters });
            producers.push(p);
            return { id: p.id };
          }
          case 'consume': {
            const out = [];
            for (const p of producers) {
              const c = await transports.get(d.id)!.consume({ producerId: p.id, rtpCapabilities: d.rtpCapabilities, paused: true });
              consumers.set(c.id, c);
              out.push({ id: c.id, producerId: p.id, kind: c.kind, rtpParameters: c.rtpParameters });
            }
            return out;
          }
          case 'resume': {
            const c = consumers.get(d.id)!;
            await c.resume();
            if (c.kind === 'video') await c.requestKeyFrame();
            return {};
          }
          default:
            throw new Error(`unknown method ${method}`);
        }
      };
      ws.on('message', (raw) => {
        const m = JSON.parse(String(raw)) as { id: number; method: string; data: unknown };
        handle(m.method, m.data).then(
          (data) => ws.send(JSON.stringify({ id: m.id, data })),
          (err: Error) => ws.send(JSON.stringify({ id: m.id, error: err.message })),
        );
      });
      ws.on('close', () => {
        for (const t of transports.values()) t.close();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new RawJoinServer(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, worker);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((r) => this.#server.close(r));
    this.#worker.close();
  }
}
