import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type Koa from 'koa';
import { CHAT_WS_PATH } from '@vilokanam/contracts/chat';
import type { SocialService } from '@vilokanam/social';
import { Ledger, SpendingCaps, viewerAccount, type MemoryTickStore } from '@vilokanam/settlement';
import type { SfuNode } from '@vilokanam/sfu-node';
import type { Account, AccountStore } from './auth/AccountStore.ts';
import { createAuth, type Auth, type AuthOptions } from './auth/Auth.ts';
import { walletCryptoReady } from './auth/wallet.ts';
import type { ViewerBilling } from './billing/ViewerBilling.ts';
import type { SignalingConfig } from './config.ts';
import { openDatabase, type Database } from './db/Database.ts';
import type { Fleet } from './fleet/Fleet.ts';
import type { StreamRoutes } from './fleet/StreamRoutes.ts';
import { createApp } from './http/app.ts';
import { startOps } from './http/ops.ts';
import { clientAddressResolver } from '@vilokanam/contracts/client-address';
import { createLogger } from './log.ts';
import { SignalingMetrics } from './metrics.ts';
import { startMedia, type MediaMode, type PlatformOptions } from './modes/index.ts';
import type { MoneyConfig } from './money/moneyRouter.ts';
import { devFaucetRoutes } from './settlement/devFaucetRouter.ts';
import { capsRoutes } from './money/capsRouter.ts';
import { statementRoutes } from './money/statementRouter.ts';
import { withdrawalsRoutes } from './money/withdrawalsRouter.ts';
import type { EmbeddedSettlement } from './settlement/EmbeddedSettlement.ts';
import { StreamStore } from './StreamStore.ts';
import { whipRoutes } from './whip/whipRouter.ts';
import { healthRoutes } from './health/healthRoutes.ts';
import { Clips } from './recording/Clips.ts';
import { LocalDiskStorage } from './recording/LocalDiskStorage.ts';
import { recordingsRoutes } from './recording/recordingsRouter.ts';
import { Recordings } from './recording/Recordings.ts';
import { RecordingStore } from './recording/RecordingStore.ts';
import { VodMedia } from './recording/VodMedia.ts';
import { TokenIssuer } from './TokenIssuer.ts';
import { adminAccountIds } from './money/moneyRouter.ts';
import { startSocial } from './social/startSocial.ts';
import { SignalingServer } from './ws/SignalingServer.ts';
import { StreamHub } from './ws/StreamHub.ts';

export interface Platform {
  url: string;
  port: number;
  /** The ops listener: /healthz, /readyz and /metrics (the public port has no /metrics). */
  opsUrl: string;
  log: Logger;
  db: Database;
  store: StreamStore;
  accounts: AccountStore;
  /** The signed-in account for a Cookie header; the WebSocket upgrade uses it. */
  accountFromCookieHeader(header: string | undefined): Promise<Account | undefined>;
  /** The in-process node, in embedded mode. */
  sfu: SfuNode | undefined;
  /** Embedded mode's tick windows and viewer sessions (Redis holds them in the other modes). */
  ticks: MemoryTickStore | undefined;
  billing: ViewerBilling;
  /** Embedded mode: settlement running in this process (in the other modes it is its own service). */
  settlement: EmbeddedSettlement | undefined;
  fleet: Fleet;
  routes: StreamRoutes;
  hub: StreamHub;
  /** Recording's lifecycle: `settled()` waits for VODs being made. */
  recordings: Recordings;
  /** Chat, follows, profiles, search and tips, mounted on this server. */
  social: SocialService;
  close(): Promise<void>;
}

const defaultWebDir = fileURLToPath(new URL('../../../web/build', import.meta.url));

/**
 * The signaling service and, by mode, the media it drives: in embedded mode one process runs
 * signaling, the SFU node with local workers, the database (PGlite unless VILO_DATABASE_URL is
 * set), settlement and the web app, on one port.
 */
export async function startPlatform(config: SignalingConfig, opts: PlatformOptions & { auth?: AuthOptions } = {}): Promise<Platform> {
  const log = opts.log ?? createLogger(config.logLevel);
  const metrics = new SignalingMetrics();
  const db = await openDatabase(config, log);
  // A restarted pod keeps its name but is a new replica: what the old one held is not its own.
  const replicaId = `${hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 100)}-${randomBytes(4).toString('hex')}`;
  // Nothing is ended here: a stream left live by a previous run ends once its lease passes,
  // unless its publisher reconnects first (LiveLeases), so a restart or rolling update ends none.
  const store = new StreamStore(db, { holder: replicaId, seconds: config.liveLeaseSeconds });
  let media: MediaMode;
  try {
    media = await startMedia(config, { db, log, metrics, replicaId }, opts);
  } catch (err) {
    await db.close();
    throw err;
  }
  const { fleet, routes, billing, settlement } = media;

  const auth = createAuth(db, config.auth, opts.auth);
  if (config.auth.ephemeralSessionSecret) log.warn('VILO_SESSION_SECRET is not set: sign-ins end when this process does');
  await walletCryptoReady();
  const hub = new StreamHub({ store, fleet, routes, log, metrics, publisherGraceMs: config.publisherGraceMs, bus: media.hubBus });
  billing.on('overdraft', (msg) => {
    const stopped = hub.overdraft(msg);
    if (stopped) log.info({ streamId: msg.stream, window: msg.window, sessions: stopped }, 'viewer overdrawn: media stopped');
  });
  const recording = startRecordings(config, { db, log, store, hub, fleet, routes });
  const social = await startSocial(config, { db, log, registry: metrics.registry, accountFromCookieHeader: auth.accountFromCookieHeader, isAdmin: adminCheck(config) });
  hub.onStreamStarted((streamId) => {
    social.announceLive(streamId).catch((err: unknown) => log.error({ err, streamId }, 'go-live notifications failed'));
  });
  const { server, signaling, url } = await serve(config, { db, log, metrics, store, auth, hub, media, social, recordingRoutes: recording.routes });
  const ops = await startOps(config.ops, { db, fleet, metrics, log });

  return {
    url,
    port: Number(new URL(url).port),
    opsUrl: ops.url,
    log,
    db,
    store,
    accounts: auth.accounts,
    accountFromCookieHeader: auth.accountFromCookieHeader,
    sfu: media.sfu,
    ticks: media.ticks,
    billing,
    settlement,
    fleet,
    routes,
    hub,
    recordings: recording.lifecycle,
    social,
    async close() {
      signaling.close();
      await social.close();
      hub.close();
      await recording.lifecycle.settled();
      routes.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await ops.close();
      await media.close();
      await db.close();
    },
  };
}

/** The HTTP side: the Koa app (REST, metrics, the web app) and the signaling socket on one server. */
async function serve(
  config: SignalingConfig,
  d: { db: Database; log: Logger; metrics: SignalingMetrics; store: StreamStore; auth: Auth; hub: StreamHub; media: MediaMode; social: SocialService; recordingRoutes: Koa.Middleware },
): Promise<{ server: Server; signaling: SignalingServer; url: string }> {
  const { db, log, metrics, store, auth, hub } = d;
  const { fleet, routes, billing, settlement, accounts } = d.media;
  const tokens = new TokenIssuer(config.tokenSecret, config.tokenTtlSeconds);
  const ledger = new Ledger(db);
  const caps = new SpendingCaps(db);
  const pricing = { ...config.pricing, spendable: async (id: string, streamId: string) => caps.spendable(id, streamId, await ledger.balance(viewerAccount(id))) };
  const clientAddress = clientAddressResolver(config.limits.trustedProxies);
  const app = createApp({
    db, fleet, log, metrics, store, hub, tokens, auth, pricing, clientAddress, accounts,
    webDir: config.webDir ? path.resolve(config.webDir) : defaultWebDir,
    money: moneyConfig(config, settlement),
    categories: d.social.categories,
    trustProxy: config.limits.trustedProxies.length > 0,
    streamsPerAccount: config.limits.streamsPerAccount,
    extraRoutes: [
      devFaucetRoutes(settlement),
      capsRoutes({ db }),
      statementRoutes({ db }),
      withdrawalsRoutes({
        db, log, ss58Prefix: config.auth.ss58Prefix, adminAccounts: config.money.adminAccounts, treasuryAddress: config.money.treasuryAddress,
        ...(settlement ? { kick: () => settlement.service.sendWithdrawals() } : {}),
      }),
      ...d.social.routes,
      d.recordingRoutes,
      healthRoutes({ store, fleet, routes, hub }),
      whipRoutes({
        fleet, routes, hub, log, store, tokens, billing, accounts, pricing, clientAddress,
        limits: config.limits,
        streamsPerAccount: config.limits.streamsPerAccount,
        resourcesPerIp: config.limits.socketsPerIp,
      }),
    ],
  });
  const server = createServer(app.callback());
  const signaling = new SignalingServer(server, {
    fleet, routes, hub, store, tokens, billing, log, metrics, pricing, clientAddress, accounts,
    limits: config.limits,
    socketsPerIp: config.limits.socketsPerIp,
    allowedOrigins: config.allowedOrigins,
    upgrades: { [CHAT_WS_PATH]: d.social.handleUpgrade },
  });
  const url = await listen(server, config.host, config.port);
  log.info({ url }, 'platform listening');
  return { server, signaling, url };
}

/** A dev chain's escrow is known only once it runs; polkadot.js apps can browse that chain from the user's browser. */
/** Recording, VODs and clips, on the storage the recorder writes to. */
function startRecordings(
  config: SignalingConfig,
  d: { db: Database; log: Logger; store: StreamStore; hub: StreamHub; fleet: Fleet; routes: StreamRoutes },
): { lifecycle: Recordings; routes: Koa.Middleware } {
  const storage = new LocalDiskStorage(config.recordings.dir);
  const recordings = new RecordingStore(d.db);
  const media = new VodMedia(config.recordings);
  const lifecycle = new Recordings({ store: d.store, recordings, storage, media, fleet: d.fleet, routes: d.routes, log: d.log });
  lifecycle.attach(d.hub);
  const clips = new Clips({ recordings, storage, media, parts: (id) => lifecycle.parts(id), clipsPerHour: config.recordings.clipsPerHour });
  return { lifecycle, routes: recordingsRoutes({ store: d.store, recordings, lifecycle, clips, storage }) };
}

function adminCheck(config: SignalingConfig): (accountId: string) => boolean {
  const admins = adminAccountIds(config.money.adminAccounts, config.auth.ss58Prefix);
  return (id) => admins.has(id);
}

function moneyConfig(config: SignalingConfig, settlement: EmbeddedSettlement | undefined): MoneyConfig {
  if (!settlement?.escrowAddress) return config.money;
  const devChain = settlement.devChain;
  const explorer = devChain && !config.money.explorerUrl
    ? { explorerUrl: `https://polkadot.js.org/apps/?rpc=${encodeURIComponent(devChain.wsUrl)}#/explorer/query/{blockHash}` }
    : {};
  // The dev chain listens on this machine, where the browser of `npm start` runs too.
  const rpc = devChain && !config.money.rpcUrl ? { rpcUrl: devChain.wsUrl } : {};
  return { ...config.money, escrowAddress: settlement.escrowAddress, ...explorer, ...rpc };
}

async function listen(server: Server, host: string, port: number): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return `http://${host}:${(server.address() as AddressInfo).port}`;
}
