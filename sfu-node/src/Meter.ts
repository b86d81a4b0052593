import type { types } from 'mediasoup';
import type { Logger } from 'pino';

export interface Tick {
  sessionId: string;
  unixSecond: number;
}

/** Where ticks go: Redis tick windows (settlement's contract), once per second per node. */
export interface TickSink {
  record(ticks: readonly Tick[]): Promise<void>;
}

interface Watched {
  transport: types.WebRtcTransport;
  consumers: () => types.Consumer[];
  lastRtpBytes: number;
}

/** RTP bytes per second below which nothing is really flowing (RTCP and keepalives only). */
const MIN_RTP_BYTES_PER_SECOND = 1000;

/**
 * One tick per second per viewer session, and only while media really flows to it: DTLS
 * connected, RTP bytes leaving the transport, and at least one consumer neither paused by
 * the viewer nor by the producer. A frozen or paused player is not billed.
 */
export class Meter {
  readonly #sink: TickSink;
  readonly #log: Logger;
  readonly #watched = new Map<string, Watched>();
  readonly #timer: NodeJS.Timeout;
  #ticks = 0;

  constructor(sink: TickSink, log: Logger, intervalMs = 1000) {
    this.#sink = sink;
    this.#log = log;
    this.#timer = setInterval(() => void this.#sample(), intervalMs);
    this.#timer.unref();
  }

  get ticks(): number {
    return this.#ticks;
  }

  get sessions(): number {
    return this.#watched.size;
  }

  watch(sessionId: string, transport: types.WebRtcTransport, consumers: () => types.Consumer[]): void {
    this.#watched.set(sessionId, { transport, consumers, lastRtpBytes: 0 });
    transport.observer.once('close', () => {
      if (this.#watched.get(sessionId)?.transport === transport) this.#watched.delete(sessionId);
    });
  }

  close(): void {
    clearInterval(this.#timer);
    this.#watched.clear();
  }

  async #sample(): Promise<void> {
    const unixSecond = Math.floor(Date.now() / 1000);
    const ticks: Tick[] = [];
    await Promise.all(
      [...this.#watched].map(async ([sessionId, w]) => {
        if (w.transport.closed) return;
        const [stat] = await w.transport.getStats().catch(() => []);
        const rtpBytes = stat?.rtpBytesSent ?? 0;
        const flowed = rtpBytes - w.lastRtpBytes;
        w.lastRtpBytes = rtpBytes;
        const connected = w.transport.dtlsState === 'connected';
        const playing = w.consumers().some((c) => !c.closed && !c.paused && !c.producerPaused);
        if (connected && playing && flowed >= MIN_RTP_BYTES_PER_SECOND) ticks.push({ sessionId, unixSecond });
      }),
    );
    if (ticks.length === 0) return;
    try {
      // A retried second is harmless downstream: tick windows hold seconds, not counts.
      await this.#sink.record(ticks);
      this.#ticks += ticks.length;
    } catch (err) {
      this.#log.warn({ ticks: ticks.length, err: (err as Error).message }, 'ticks not recorded');
    }
  }
}
