import { MemoryTickStore } from '@vilokanam/settlement';
import { SfuNode, registerSfuMetrics, sfuConfigFromEnv } from '@vilokanam/sfu-node';
import { MemoryViewerBilling } from '../billing/MemoryViewerBilling.ts';
import type { EmbeddedConfig } from '../config.ts';
import { LocalFleet } from '../fleet/LocalFleet.ts';
import { StreamRoutes } from '../fleet/StreamRoutes.ts';
import { EmbeddedSettlement } from '../settlement/EmbeddedSettlement.ts';
import { MemoryAccountSessions } from '../ws/MemoryAccountSessions.ts';
import { MemoryHubBus } from '../ws/MemoryHubBus.ts';
import type { MediaMode, ModeContext, PlatformOptions } from './MediaMode.ts';

/** One node in this process serves every viewer, so no edge is ever wanted. */
const ONE_NODE = { policy: { viewersPerEdge: Number.MAX_SAFE_INTEGER, minEdges: 0, maxEdges: 0 }, fanoutPerNode: 1, edgeIdleMs: 0 };

/** Embedded mode: an in-process sfu-node, in-process tick windows, and settlement beside them. */
export async function startEmbeddedMedia(config: EmbeddedConfig, ctx: ModeContext, opts: PlatformOptions): Promise<MediaMode> {
  const { db, log, metrics } = ctx;
  // The store and the worker must agree on W, or windows close while still filling.
  const ticks = opts.ticks ?? new MemoryTickStore({ windowSeconds: config.settlement.windowSeconds });
  // The in-process node records where this process serves recordings from.
  const sfuConfig = sfuConfigFromEnv();
  sfuConfig.recording = { ...sfuConfig.recording, dir: config.recordings.dir, ffmpeg: config.recordings.ffmpeg };
  const sfu = opts.sfu ?? new SfuNode(sfuConfig, log.child({ component: 'sfu' }), { tickSink: ticks });
  if (!opts.sfu) await sfu.start();
  registerSfuMetrics(sfu, metrics.registry);
  const fleet = new LocalFleet(sfu);
  const billing = new MemoryViewerBilling(ticks);
  let settlement: EmbeddedSettlement | undefined;
  if (opts.settlement !== false) {
    try {
      settlement = await EmbeddedSettlement.start({ db, ticks, log, config: { ...config.settlement, databaseUrl: config.databaseUrl }, devChain: config.settlement.devChain });
    } catch (err) {
      await fleet.close();
      if (!opts.sfu) sfu.close();
      throw err;
    }
  }
  return {
    fleet,
    routes: new StreamRoutes(fleet, log, ONE_NODE),
    billing,
    hubBus: new MemoryHubBus(ctx.replicaId),
    accounts: new MemoryAccountSessions(),
    sfu,
    ticks,
    ...(settlement ? { settlement } : {}),
    async close() {
      await billing.stop();
      await fleet.close();
      await settlement?.stop();
      if (!opts.sfu) sfu.close();
    },
  };
}
