import type { types } from 'mediasoup';
import type { IngestLayer, NodeStreamHealth } from '@vilokanam/contracts/health';

/** Keyframes count toward the interval for this long, and at most this many per layer. */
const KEYFRAME_WINDOW_MS = 20_000;
const KEYFRAMES_KEPT = 64;

/**
 * What the origin sees of a publisher, layer by layer: bitrate, score, loss, jitter and RTT
 * from mediasoup's receive stats, and how often keyframes arrived over the last 20 s, from
 * keyframe trace events (the one per-frame event mediasoup reports without tracing every
 * packet). Keyframes asked for by joining viewers count too: it is what viewers get.
 */
export class StreamHealth {
  /** Keyframe arrival times (ms) by producer id and layer key. */
  readonly #keyFrames = new Map<string, Map<string, number[]>>();
  /** Frames per second by producer and layer, from the last one-second sample of RTP traces. */
  readonly #frameRates = new Map<string, { at: number; byLayer: Map<string, number> }>();
  readonly #sampling = new Set<string>();

  /** Starts following a video producer's keyframes. */
  watch(producer: types.Producer): void {
    if (producer.kind !== 'video') return;
    const byLayer = new Map<string, number[]>();
    this.#keyFrames.set(producer.id, byLayer);
    void producer.enableTraceEvent(['keyframe']).catch(() => {});
    producer.on('trace', (trace) => {
      if (trace.type !== 'keyframe') return;
      const info = trace.info as { rtpPacket?: { rid?: string; ssrc?: number } } | undefined;
      const key = layerKey(info?.rtpPacket?.ssrc);
      const times = byLayer.get(key) ?? [];
      // Packets of one keyframe arrive together; a frame counts once.
      // The trace's own timestamp is the worker's clock; arrival here is close enough and comparable.
      const at = Date.now();
      if (times.length && at - times.at(-1)! < 100) return;
      times.push(at);
      while (times.length > KEYFRAMES_KEPT || (times.length > 0 && at - times[0]! > KEYFRAME_WINDOW_MS)) times.shift();
      byLayer.set(key, times);
    });
    producer.observer.once('close', () => {
      this.#keyFrames.delete(producer.id);
      this.#frameRates.delete(producer.id);
    });
  }

  /**
   * Counts a second of the producer's frames (RTP marker bits, RTX aside), by layer. Tracing
   * every packet costs an IPC message each, so it runs for one second, and only when asked
   * for health, at most every 5 s.
   */
  #sampleFrameRate(producer: types.Producer): void {
    const last = this.#frameRates.get(producer.id);
    if (producer.kind !== 'video' || producer.closed || this.#sampling.has(producer.id) || (last && Date.now() - last.at < 5000)) return;
    this.#sampling.add(producer.id);
    const counts = new Map<string, number>();
    const onTrace = (trace: types.ProducerTraceEventData) => {
      if (trace.type !== 'rtp') return;
      const info = trace.info as { isRtx?: boolean; rtpPacket?: { marker?: boolean; rid?: string; ssrc?: number } } | undefined;
      if (info?.isRtx || !info?.rtpPacket?.marker) return;
      const key = layerKey(info.rtpPacket.ssrc);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    };
    producer.on('trace', onTrace);
    const started = Date.now();
    void producer.enableTraceEvent(['keyframe', 'rtp']).catch(() => {});
    setTimeout(() => {
      producer.off('trace', onTrace);
      this.#sampling.delete(producer.id);
      if (producer.closed) return;
      void producer.enableTraceEvent(['keyframe']).catch(() => {});
      const seconds = (Date.now() - started) / 1000;
      this.#frameRates.set(producer.id, { at: Date.now(), byLayer: new Map([...counts].map(([k, n]) => [k, n / seconds])) });
    }, 1000).unref();
  }

  async report(producers: Iterable<types.Producer>, consumers: Iterable<types.Consumer>): Promise<NodeStreamHealth> {
    const layers: IngestLayer[] = [];
    const now = Date.now();
    for (const producer of producers) {
      if (producer.closed) continue;
      this.#sampleFrameRate(producer);
      const stats = (await producer.getStats().catch(() => [])) as types.RtpStreamRecvStats[];
      const mimeType = producer.rtpParameters.codecs[0]?.mimeType ?? '';
      for (const s of stats.filter((x) => x.type === 'inbound-rtp')) {
        const times = this.#keyFrames.get(producer.id)?.get(layerKey(s.ssrc))?.filter((t) => now - t <= KEYFRAME_WINDOW_MS);
        layers.push({
          kind: producer.kind,
          rid: s.rid ?? null,
          mimeType,
          bitrate: s.bitrate,
          score: Math.max(0, Math.min(10, s.score)),
          packetsLost: Math.max(0, s.packetsLost),
          fractionLost: Math.max(0, Math.min(1, s.fractionLost / 256)),
          jitter: s.jitter,
          roundTripTime: s.roundTripTime ?? null,
          keyFrameInterval: times && times.length >= 2 ? (times.at(-1)! - times[0]!) / (times.length - 1) / 1000 : null,
          frameRate: producer.kind === 'video' ? (this.#frameRates.get(producer.id)?.byLayer.get(layerKey(s.ssrc)) ?? null) : null,
        });
      }
    }
    layers.sort((a, b) => a.kind.localeCompare(b.kind) || a.bitrate - b.bitrate);
    const viewersByLayer: Record<string, number> = {};
    for (const c of consumers) {
      if (c.closed || c.kind !== 'video' || c.paused) continue;
      const layer = String(c.currentLayers?.spatialLayer ?? (c.type === 'simple' ? 0 : -1));
      viewersByLayer[layer] = (viewersByLayer[layer] ?? 0) + 1;
    }
    return { layers, viewersByLayer };
  }
}

/**
 * Layers are told apart by SSRC: receive stats carry both rid and SSRC, but senders stop
 * putting the rid header extension on packets once the SSRC is known, so traces mostly lack it.
 */
function layerKey(ssrc: number | undefined): string {
  return `ssrc:${ssrc ?? 0}`;
}
