// Probes and metrics. /metrics lives only on the ops listener (VILO_OPS_PORT), which the
// ingress does not route; the public port keeps the probes and answers 404 on /metrics.
import type { Logger } from 'pino';
import { OpsServer } from '@vilokanam/contracts/ops';
import type { Database } from '../db/Database.ts';
import type { Fleet } from '../fleet/Fleet.ts';
import type { SignalingMetrics } from '../metrics.ts';

export interface OpsDeps {
  db: Database;
  fleet: Fleet;
  metrics: SignalingMetrics;
  log: Logger;
}

/** Ready: the database answers and some node can take streams. */
export async function readiness(d: Pick<OpsDeps, 'db' | 'fleet'>): Promise<{ ok: boolean; nodes: number }> {
  await d.db.query('SELECT 1');
  const nodes = d.fleet.nodes().filter((n) => n.ready).length;
  return { ok: nodes > 0, nodes };
}

export async function startOps(listen: { host: string; port: number }, d: OpsDeps): Promise<OpsServer> {
  const ops = await OpsServer.start({
    ...listen,
    ready: () => readiness(d),
    metrics: async () => ({ contentType: d.metrics.registry.contentType, body: await d.metrics.registry.metrics() }),
    onError: (err) => d.log.warn({ err }, 'readiness check failed'),
  });
  d.log.info({ url: ops.url }, 'ops listening');
  return ops;
}
