// Chat sockets for bench/chat.ts in a process of their own: COUNT sockets join ROOM over URLS
// and time each message whose text is `t:<send time>` against the host's clock. The parent
// says `start` and `stop`; on `stop` this process answers with its latency histogram.
import WebSocket from 'ws';

const URLS = process.env.URLS!.split(',');
const ROOM = process.env.ROOM!;
const COUNT = Number(process.env.COUNT);
const BUCKET_MS = 0.1;
const hist = new Uint32Array(600_000); // 0.1 ms buckets up to 60 s
let measuring = false;
let n = 0;
let max = 0;
const now = () => performance.timeOrigin + performance.now();

function onFrame(raw: Buffer): void {
  if (!measuring || raw.indexOf('"event":"message"') < 0) return;
  const at = raw.indexOf('"text":"t:');
  if (at < 0) return;
  const ms = now() - Number(raw.toString('latin1', at + 10, raw.indexOf('"', at + 10)));
  hist[Math.min(hist.length - 1, Math.max(0, Math.floor(ms / BUCKET_MS)))]!++;
  n++;
  if (ms > max) max = ms;
}

async function connect(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const joined = new Promise<void>((resolve) => ws.once('message', () => resolve()));
  ws.send(JSON.stringify({ v: 1, id: 1, type: 'join', data: { room: ROOM } }));
  await joined;
  ws.on('message', onFrame);
  return ws;
}

const sockets: WebSocket[] = [];
for (let i = 0; i < COUNT; i += 250) {
  sockets.push(...(await Promise.all(Array.from({ length: Math.min(250, COUNT - i) }, (_, j) => connect(URLS[(i + j) % URLS.length]!)))));
}
process.send!({ ready: sockets.length });
process.on('message', (m: { cmd: 'start' | 'stop' | 'exit' }) => {
  if (m.cmd === 'start') {
    hist.fill(0);
    n = 0;
    max = 0;
    measuring = true;
  } else if (m.cmd === 'stop') {
    measuring = false;
    const buckets: [number, number][] = [];
    hist.forEach((c, i) => c && buckets.push([i, c]));
    process.send!({ n, max, buckets, bucketMs: BUCKET_MS });
  } else {
    for (const ws of sockets) ws.terminate();
    process.exit(0);
  }
});
