import { KubeConfig } from '@kubernetes/client-node';
import { LiveStreamClient } from '@vilokanam/operator/api';
import type { KubernetesConfig } from '../config.ts';
import { OperatorRoutes } from '../fleet/OperatorRoutes.ts';
import { startFleetMedia } from './fleet.ts';
import type { MediaMode, ModeContext, PlatformOptions } from './MediaMode.ts';

/**
 * Kubernetes mode: the fleet mode's nodes and billing, with placement handed to the operator:
 * a stream that starts becomes a LiveStream, and the operator's routes are followed.
 */
export async function startKubernetesMedia(config: KubernetesConfig, ctx: ModeContext, opts: PlatformOptions): Promise<MediaMode> {
  const media = await startFleetMedia(config, ctx);
  const operatorRoutes = new OperatorRoutes({
    routes: media.routes,
    fleet: media.fleet,
    redis: media.redis,
    // The routes channel's subscriber, needed only in this mode.
    subscriber: media.connect(),
    streams: new LiveStreamClient(opts.kube ?? inClusterConfig()),
    namespace: config.namespace,
    waitMs: config.routeWaitMs,
    log: ctx.log,
    defaults: { edges: { viewersPerEdge: config.edges.viewersPerEdge, max: config.edges.maxEdges } },
  });
  try {
    await operatorRoutes.start();
  } catch (err) {
    await media.close();
    throw err;
  }
  ctx.log.info({ namespace: config.namespace }, "following the operator's routes");
  return {
    ...media,
    async close() {
      await operatorRoutes.close();
      await media.close();
    },
  };
}

/** In a pod: the ServiceAccount's token; elsewhere KUBECONFIG or ~/.kube/config. */
function inClusterConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}
