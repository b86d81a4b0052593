// One social instance for bench/chat.ts, in its own process so its CPU is its own: chat on
// Redis and Postgres, sessions checked as in production. Prints "ready <port>".
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import pino from 'pino';
import { UntrustedInput } from '@vilokanam/contracts/untrusted';
import { openDatabase } from '@vilokanam/settlement/db';
import { RedisChatBus, SessionVerifier, SocialMetrics, SocialService } from '@vilokanam/social';

const log = pino({ level: 'warn' });
const db = await openDatabase({ databaseUrl: process.env.DB_URL!, dataDir: '', poolSize: 20 }, log);
const metrics = new SocialMetrics();
const bus = new RedisChatBus(new Redis(process.env.REDIS_URL!), new UntrustedInput({ count: () => undefined, warn: () => undefined }), process.env.PREFIX!);
const social = new SocialService({
  db, bus, log, metrics,
  resolveMember: new SessionVerifier(db, Buffer.from(process.env.SESSION_SECRET!, 'hex')).resolve,
  isAdmin: () => false,
  clientAddress: (req) => req.socket.remoteAddress ?? '',
  publicUrl: 'http://localhost',
  socketsPerIp: 100_000,
  chatRatePerWindow: 1000,
});
await social.start();
const server = createServer((_req, res) => res.writeHead(404).end());
server.on('upgrade', social.handleUpgrade);
server.listen(0, '127.0.0.1', () => console.log(`ready ${(server.address() as AddressInfo).port}`));
