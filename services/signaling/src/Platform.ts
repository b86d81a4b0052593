import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { Redis } from 'ioredis';
import { KubeConfig } from '@kubernetes/client-node';
import { LiveStreamClient } from '@vilokanam/operator/api';
import { Ledger, MemoryTickStore, viewerAccount } from '@vilokanam/settlement';
import { MemoryViewerBilling } from './billing/MemoryViewerBilling.ts';
import { RedisViewerBilling } from './billing/RedisViewerBilling.ts';
import type { ViewerBilling } from './billing/ViewerBilling.ts';
import { devFaucetRoutes } from './settlement/devFaucetRouter.ts';
import { EmbeddedSettlement } from './settlement/EmbeddedSettlement.ts';
import { UntrustedInput } from '@vilokanam/contracts/untrusted';
import { ControlAuth, SfuNode, registerSfuMetrics, sfuConfigFromEnv } from '@vilokanam/sfu-node';
import type { SignalingConfig } from './config.ts';
import type { Account, AccountStore } from './auth/AccountStore.ts';
import { createAuth, type AuthOptions } from './auth/Auth.ts';
import { walletCryptoReady } from './auth/wallet.ts';
import { openDatabase, type Database } from './db/Database.ts';
import type { Fleet } from './fleet/Fleet.ts';
import { LocalFleet } from './fleet/LocalFleet.ts';
import { OperatorRoutes } from './fleet/OperatorRoutes.ts';
import { RedisFleet } from './fleet/RedisFleet.ts';
import { StreamRoutes } from './fleet/StreamRoutes.ts';
import { createApp } from './http/app.ts';
import { clientAddressResolver } from './http/clientAddress.ts';
import { AccountSessions } from './ws/AccountSessions.ts';
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
  close(): Promise<void>;
}

const defaultWebDir = fileURLToPath(new URL('../../../web/build', import.meta.url));

/**
 * Embedded mode: one process runs signaling, the SFU node with local workers, the database
 * (PGlite unless VILO_DATABASE_URL is set) and the web app, on one port.
 */
export async function startPlatform(
  config: SignalingConfig,
  opts: { sfu?: SfuNode; log?: Logger; auth?: AuthOptions; kube?: KubeConfig; ticks?: MemoryTickStore; settlement?: false } = {},
): Promise<Platform> {
  const log = opts.log ?? createLogger(config.logLevel);
  const metrics = new SignalingMetrics();
  const db = await openDatabase(config, log);
  const store = new StreamStore(db);
  const stale = await store.endAllLive();
  if (stale) log.warn({ streams: stale }, 'ended streams left live by a previous run');

  let sfu: SfuNode | undefined;
  let fleet: Fleet;
  let ticks: MemoryTickStore | undefined;
  let billing: ViewerBilling;
  const redis: Redis[] = [];
  if (config.sfuMode === 'embedded') {
    // The store and the worker must agree on W, or windows close while still filling.
    ticks = opts.ticks ?? new MemoryTickStore(config.settlement ? { windowSeconds: config.settlement.windowSeconds } : {});
    sfu = opts.sfu ?? new SfuNode(sfuConfigFromEnv(), log.child({ component: 'sfu' }), { tickSink: ticks });
    if (!opts.sfu) await sfu.start();
    registerSfuMetrics(sfu, metrics.registry);
    fleet = new LocalFleet(sfu);
    billing = new MemoryViewerBilling(ticks);
  } else {
    // Commands, fleet reports, overdrafts: subscribers each need a connection.
    redis.push(new Redis(config.redisUrl!), new Redis(config.redisUrl!), new Redis(config.redisUrl!));
    const untrusted = new UntrustedInput({ count: (source) => metrics.malformed.inc({ source }), warn: (obj, msg) => log.warn(obj, msg) });
    const remote = new RedisFleet({ redis: redis[0]!, subscriber: redis[1]!, auth: new ControlAuth(config.sfuControlSecret!), log, fleet: config.fleet, untrusted });
    await remote.start();
    fleet = remote;
    const redisBilling = new RedisViewerBilling({ redis: redis[0]!, subscriber: redis[2]!, log, untrusted });
    await redisBilling.start();
    billing = redisBilling;
  }
  // One node in embedded mode: it serves every viewer, so no edge is ever wanted.
  const embedded = config.sfuMode === 'embedded';
  const routes = new StreamRoutes(fleet, log, {
    policy: {
      viewersPerEdge: embedded ? Number.MAX_SAFE_INTEGER : config.edges.viewersPerEdge,
      minEdges: 0,
      maxEdges: config.edges.maxEdges,
    },
    fanoutPerNode: config.edges.fanoutPerNode,
    edgeIdleMs: config.edges.idleMs,
  });
  let operatorRoutes: OperatorRoutes | undefined;
  if (config.sfuMode === 'kubernetes') {
    const kube = opts.kube ?? loadKubeConfig();
    // The routes channel's subscriber, needed only in this mode.
    const routesSubscriber = new Redis(config.redisUrl!);
    redis.push(routesSubscriber);
    operatorRoutes = new OperatorRoutes({
      routes,
      fleet,
      redis: redis[0]!,
      subscriber: routesSubscriber,
      streams: new LiveStreamClient(kube),
      namespace: config.namespace,
      waitMs: config.routeWaitMs,
      log,
      defaults: { edges: { viewersPerEdge: config.edges.viewersPerEdge, max: config.edges.maxEdges } },
    });
    await operatorRoutes.start();
    log.info({ namespace: config.namespace }, 'following the operator\'s routes');
  }

  const tokens = new TokenIssuer(config.tokenSecret, config.tokenTtlSeconds);
  await walletCryptoReady();
  const auth = createAuth(db, config.auth, opts.auth);
  if (config.auth.ephemeralSessionSecret) log.warn('VILO_SESSION_SECRET is not set: sign-ins end when this process does');
  const hub = new StreamHub({ store, fleet, routes, log, metrics, publisherGraceMs: config.publisherGraceMs });
  const webDir = config.webDir ? path.resolve(config.webDir) : defaultWebDir;
  let settlement: EmbeddedSettlement | undefined;
  if (ticks && config.settlement && opts.settlement !== false) {
    settlement = await EmbeddedSettlement.start({ db, ticks, log, config: { ...config.settlement, databaseUrl: config.databaseUrl }, devChain: config.settlement.devChain });
  }
  // A dev chain's escrow and address are known only once it runs; polkadot.js apps can
  // browse it from the user's browser.
  const devChain = settlement?.devChain;
  const money = settlement?.escrowAddress
    ? {
        ...config.money,
        escrowAddress: settlement.escrowAddress,
        ...(devChain && !config.money.explorerUrl
          ? { explorerUrl: `https://polkadot.js.org/apps/?rpc=${encodeURIComponent(devChain.wsUrl)}#/explorer/query/{blockHash}` }
          : {}),
      }
    : config.money;
  const ledger = new Ledger(db);
  const pricing = { ...config.pricing, balanceOf: (id: string) => ledger.balance(viewerAccount(id)) };
  const clientAddress = clientAddressResolver(config.limits.trustedProxies);
  const accounts = new AccountSessions();
  const app = createApp({
    db, fleet, log, metrics, store, hub, tokens, auth, webDir, pricing, money, clientAddress, accounts,
    trustProxy: config.limits.trustedProxies.length > 0,
    streamsPerAccount: config.limits.streamsPerAccount,
    extraRoutes: [devFaucetRoutes(settlement)],
  });

  const server: Server = createServer(app.callback());
  billing.on('overdraft', (msg) => {
    const stopped = hub.overdraft(msg);
    if (stopped) log.info({ streamId: msg.stream, window: msg.window, sessions: stopped }, 'viewer overdrawn: media stopped');
  });
  const signaling = new SignalingServer(server, {
    fleet, routes, hub, store, tokens, billing, log, metrics, pricing, clientAddress,
    accounts,
    limits: config.limits,
    socketsPerIp: config.limits.socketsPerIp,
    allowedOrigins: config.allowedOrigins,
  });
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
    accounts: auth.accounts,
    accountFromCookieHeader: auth.accountFromCookieHeader,
    sfu,
    ticks,
    billing,
    settlement,
    fleet,
    routes,
    hub,
    async close() {
      signaling.close();
      hub.close();
      routes.close();
      await operatorRoutes?.close();
      await billing.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await fleet.close();
      await settlement?.stop();
      if (!opts.sfu) sfu?.close();
      for (const r of redis) r.disconnect();
      await db.close();
    },
  };
}

/** In a pod: the ServiceAccount's token; elsewhere KUBECONFIG or ~/.kube/config. */
function loadKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}
