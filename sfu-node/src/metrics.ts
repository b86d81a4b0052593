import { Gauge, type Registry } from 'prom-client';
import type { NodeStreamHealth } from '@vilokanam/contracts/health';
import type { SfuNode } from './SfuNode.ts';

/** Gauges are read from the node at scrape time, so they can never drift from its state. */
export function registerSfuMetrics(node: SfuNode, registry: Registry): void {
  const load = () => node.load();
  const gauge = (name: string, help: string, pick: (l: Awaited<ReturnType<typeof load>>) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.set(pick(await load()));
      },
    });
  gauge('vilo_sfu_workers', 'Live mediasoup workers', (l) => l.workers);
  gauge('vilo_sfu_routers', 'Routers, one per live stream', (l) => l.routers);
  gauge('vilo_sfu_transports', 'WebRTC transports', (l) => l.transports);
  gauge('vilo_sfu_producers', 'Producers', (l) => l.producers);
  gauge('vilo_sfu_consumers', 'Consumers', (l) => l.consumers);
  gauge('vilo_sfu_bitrate_out_bps', 'Send bitrate summed over transports, bits/s', (l) => l.bitrateOut);
  gauge('vilo_sfu_worker_deaths_total', 'Workers that died since start', (l) => l.workerDeaths);
  registerHealthMetrics(node, registry);
}

/**
 * Stream health, summed or maxed over the node's streams: labels are the kind or the layer,
 * never a stream, so the series stay few however many streams run.
 */
function registerHealthMetrics(node: SfuNode, registry: Registry): void {
  let cached: { at: number; value: Promise<NodeStreamHealth[]> } | undefined;
  // One walk over the streams per scrape, however many gauges read it.
  const health = () => {
    if (!cached || Date.now() - cached.at > 1000) cached = { at: Date.now(), value: node.allStreamHealth() };
    return cached.value;
  };
  new Gauge({
    name: 'vilo_sfu_ingest_bitrate_bps', help: 'Bitrate arriving from publishers, bits/s', labelNames: ['kind'], registers: [registry],
    async collect() {
      const layers = (await health()).flatMap((h) => h.layers);
      for (const kind of ['audio', 'video']) this.set({ kind }, layers.filter((l) => l.kind === kind).reduce((a, l) => a + l.bitrate, 0));
    },
  });
  new Gauge({
    name: 'vilo_sfu_ingest_keyframe_interval_max_seconds', help: 'Longest keyframe interval among publishers\' video layers', registers: [registry],
    async collect() {
      this.set(Math.max(0, ...(await health()).flatMap((h) => h.layers.map((l) => l.keyFrameInterval ?? 0))));
    },
  });
  new Gauge({
    name: 'vilo_sfu_ingest_fraction_lost_max', help: 'Worst fraction of packets lost on the way in, over publishers\' layers', registers: [registry],
    async collect() {
      this.set(Math.max(0, ...(await health()).flatMap((h) => h.layers.map((l) => l.fractionLost))));
    },
  });
  new Gauge({
    name: 'vilo_sfu_viewers_by_layer', help: 'Video consumers by the spatial layer they receive (-1: none yet)', labelNames: ['layer'], registers: [registry],
    async collect() {
      this.reset();
      const totals: Record<string, number> = {};
      for (const h of await health()) for (const [layer, n] of Object.entries(h.viewersByLayer)) totals[layer] = (totals[layer] ?? 0) + n;
      for (const [layer, n] of Object.entries(totals)) this.set({ layer }, n);
    },
  });
}
