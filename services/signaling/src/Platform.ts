import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { SfuNode, registerSfuMetrics, sfuConfigFromEnv, type SfuControl } from '@vilokanam/sfu-node';
import type { SignalingConfig } from './config.ts';
import { openDatabase, type Database } from './db/Database.ts';
import { createApp } from './http/app.ts';
import { createLogger } from './log.ts';
import { SignalingMetrics } from './metrics.ts';
import { StreamStore } from './StreamStore.ts';
import { TokenIssuer } from './TokenIssuer.ts';
import { SignalingServer } from './ws/SignalingServer.ts';
import { StreamHub } from './ws/StreamHub.ts';

export interface Platform {
  url: string;
  port: number;
  log: Logger;
  db: Database;
  store: StreamStore;
  sfu: SfuControl;
  hub: StreamHub;
  close(): Promise<void>;
}

const defaultWebDir = fileURLToPath(new URL('../../../web/build', import.meta.url));

/**
 * Embedded mode: one process runs signaling, the SFU node with local workers, the database
 * (PGlite unless VILO_DATABASE_URL is set) and the web app, on one port.
 */
export async function startPlatform(config: SignalingConfig, opts: { sfu?: SfuNode; log?: Logger } = {}): Promise<Platform> {
  const log = opts.log ?? createLogger(config.logLevel);
  const metrics = new SignalingMetrics();
  const db = await openDatabase(config, log);
  const store = new StreamStore(db);
  const stale = await store.endAllLive();
  if (stale) log.warn({ streams: stale }, 'ended streams left live by a previous run');

  const sfu = opts.sfu ?? new SfuNode(sfuConfigFromEnv(), log.child({ component: 'sfu' }));
  if (!opts.sfu) await sfu.start();
  registerSfuMetrics(sfu, metrics.registry);

  const tokens = new TokenIssuer(config.tokenSecret, config.tokenTtlSeconds);
  const hub = new StreamHub({ store, sfu, log, metrics, publisherGraceMs: config.publisherGraceMs });
  const webDir = config.webDir ? path.resolve(config.webDir) : defaultWebDir;
  const app = createApp({ db, sfu, log, metrics, store, hub, tokens, webDir });

  const server: Server = createServer(app.callback());
  const signaling = new SignalingServer(server, { sfu, hub, store, tokens, log, metrics });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host}:${port}`;
  log.info({ url }, 'platform listening');

  return {
    url,
    port,
    log,
    db,
    store,
    sfu,
    hub,
    async close() {
      signaling.close();
      hub.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      if (!opts.sfu) sfu.close();
      await db.close();
    },
  };
}
