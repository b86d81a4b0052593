import { Gauge, type Registry } from 'prom-client';
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
}
