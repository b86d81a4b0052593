// The baseline for bench/chat.ts: a bare ws server that relays each text frame to every
// socket, with no sign-in, rules, database or Redis. Prints "ready <port>".
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

const server = createServer();
const wss = new WebSocketServer({ server });
wss.on('connection', (ws) => {
  ws.on('message', (raw) => {
    const text = raw.toString();
    if (!text.includes('"type":"send"')) return void ws.send('{"v":1,"id":0,"ok":true,"data":{}}');
    const { data } = JSON.parse(text) as { data: { room: string; text: string } };
    const frame = Buffer.from(JSON.stringify({ v: 1, event: 'message', data: { room: data.room, text: data.text } }));
    for (const c of wss.clients) c.send(frame, { binary: false });
  });
});
server.listen(0, '127.0.0.1', () => console.log(`ready ${(server.address() as AddressInfo).port}`));
