// The creator's view of a live stream's health: the origin's view of each ingest layer, and the
// viewers on every node of the route by the layer they receive. Only the stream's creator (or
// whoever holds its key, as OBS's operator would) may read it.
import Router from '@koa/router';
import type Koa from 'koa';
import type { Context } from 'koa';
import { z } from 'zod';
import type { NodeStreamHealth, StreamHealthView } from '@vilokanam/contracts/health';
import { healthWarnings } from '@vilokanam/contracts/health-warnings';
import type { Fleet } from '../fleet/Fleet.ts';
import type { StreamRoutes } from '../fleet/StreamRoutes.ts';
import { bearer } from '../http/bearer.ts';
import { HttpError } from '../http/errors.ts';
import { routerMiddleware } from '@vilokanam/contracts/http';
import type { StreamStore } from '../StreamStore.ts';
import type { StreamHub } from '../ws/StreamHub.ts';

export interface HealthDeps {
  store: StreamStore;
  fleet: Fleet;
  routes: StreamRoutes;
  hub: StreamHub;
}

const Id = z.uuid({ message: 'stream id must be a UUID' });

export function healthRoutes(d: HealthDeps): Koa.Middleware {
  const router = new Router();
  router.get('/api/v1/streams/:id/health', async (ctx: Context) => {
    const id = Id.safeParse(ctx.params.id);
    const stream = id.success ? await d.store.get(id.data) : undefined;
    if (!stream) throw new HttpError(404, 'not_found', 'stream not found');
    const account = ctx.state.account as { id: string } | undefined;
    const key = bearer(ctx);
    const allowed = (account && account.id === stream.creatorId) || (key !== undefined && (await d.store.verifyKey(stream.id, key)));
    if (!allowed) throw new HttpError(account || key ? 403 : 401, account || key ? 'forbidden' : 'unauthorized', 'only the stream\'s creator sees its health');
    if (stream.status !== 'live') throw new HttpError(409, 'conflict', 'the stream is not live');
    ctx.body = { health: await collect(d, stream.id) };
  });
  const routes = routerMiddleware(router);
  return async (ctx, next) => (/^\/api\/v1\/streams\/[^/]+\/health$/.test(ctx.path) ? routes(ctx, next) : next());
}

async function collect(d: HealthDeps, streamId: string): Promise<StreamHealthView> {
  const view = d.routes.view(streamId);
  const nodes = view ? [view.origin, ...view.edges.map((e) => e.nodeId)] : [];
  const reports = await Promise.all(
    nodes.map((nodeId) => d.fleet.control(nodeId)?.streamHealth(streamId).catch((): NodeStreamHealth | undefined => undefined)),
  );
  const origin = reports[0];
  const viewersByLayer: Record<string, number> = {};
  for (const r of reports) for (const [layer, n] of Object.entries(r?.viewersByLayer ?? {})) viewersByLayer[layer] = (viewersByLayer[layer] ?? 0) + n;
  const layers = origin?.layers ?? [];
  return { at: new Date().toISOString(), layers, viewersByLayer, viewers: d.hub.viewerCount(streamId), freezes: d.hub.viewerQuality(streamId), warnings: healthWarnings(layers) };
}
