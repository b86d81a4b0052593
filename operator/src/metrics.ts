// Prometheus metrics for the operator, on its own registry so tests can run several operators
// in one process.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface OperatorMetrics {
  registry: Registry;
  leader: Gauge;
  reconciles: Counter<'controller' | 'result'>;
  reconcileSeconds: Histogram<'controller'>;
  queueDepth: Gauge;
  decisions: Counter<'decision'>;
  streams: Gauge<'phase'>;
  fleetNodes: Gauge<'state'>;
  timeToLive: Histogram;
  /** Messages from Redis or nodes refused as malformed. */
  malformed: Counter<'source'>;
}

export function createMetrics(opts: { defaults?: boolean } = {}): OperatorMetrics {
  const registry = new Registry();
  if (opts.defaults !== false) collectDefaultMetrics({ register: registry, prefix: 'vilo_operator_' });
  const registers = [registry];
  return {
    registry,
    leader: new Gauge({ name: 'vilo_operator_leader', help: '1 while this replica holds the lease', registers }),
    reconciles: new Counter({
      name: 'vilo_operator_reconciles_total',
      help: 'Reconciles by controller and result (ok, requeue, error)',
      labelNames: ['controller', 'result'],
      registers,
    }),
    reconcileSeconds: new Histogram({
      name: 'vilo_operator_reconcile_seconds',
      help: 'Time per reconcile',
      labelNames: ['controller'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    queueDepth: new Gauge({ name: 'vilo_operator_queue_depth', help: 'Keys waiting in the work queue', registers }),
    decisions: new Counter({
      name: 'vilo_operator_decisions_total',
      help: 'Placement and fleet decisions (origin_placed, edge_added, node_created, …)',
      labelNames: ['decision'],
      registers,
    }),
    streams: new Gauge({ name: 'vilo_operator_livestreams', help: 'LiveStreams by phase', labelNames: ['phase'], registers }),
    fleetNodes: new Gauge({ name: 'vilo_operator_fleet_nodes', help: 'sfu-node pods by state', labelNames: ['state'], registers }),
    timeToLive: new Histogram({
      name: 'vilo_operator_time_to_live_seconds',
      help: 'From LiveStream creation to phase Live',
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers,
    }),
    malformed: new Counter({ name: 'vilo_operator_malformed_messages_total', help: 'Messages from Redis or nodes refused as malformed, by source', labelNames: ['source'], registers }),
  };
}
