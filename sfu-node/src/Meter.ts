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

/** The consumer fields metering reads; mediasoup keeps them in the Node process, no IPC. */
export interface MeteredConsumer {
  readonly producerId: string;
  readonly closed: boolean;
  readonly paused: boolean;
  readonly producerPaused: boolean;
}

/** The transport fields metering reads, likewise local. */
export interface MeteredTransport {
  readonly closed: boolean;
  readonly dtlsState: string;
  readonly iceState: string;
}

interface Watched {
  transport: MeteredTransport;
  consumers: () => readonly MeteredConsumer[];
}

/** RTP bytes per second below which nothing is really flowing (RTCP and keepalives only). */
export const MIN_RTP_BYTES_PER_SECOND = 1000;

/** A transport can deliver media: DTLS up and ICE not lost. */
export function deliverable(t: MeteredTransport): boolean {
  return !t.closed && t.dtlsState === 'connected' && (t.iceState === 'connected' || t.iceState === 'completed');
}

/** A consumer sends media when neither the viewer nor the publisher paused it. */
export function playing(c: MeteredConsumer): boolean {
  return !c.closed && !c.paused && !c.producerPaused;
}

/**
 * One second of one session is billable when one of its transports can deliver and carries a
 * playing consumer whose producer really received media that second. Pure, for tests.
 */
export function billableSessions(
  sessions: ReadonlyMap<string, readonly Watched[]>,
  flowing: (producerId: string) => boolean,
): string[] {
  const out: string[] = [];
  for (const [sessionId, transports] of sessions) {
    const billable = transports.some((w) => deliverable(w.transport) && w.consumers().some((c) => playing(c) && flowing(c.producerId)));
    if (billable) out.push(sessionId);
  }
  return out;
}

/**
 * One tick per second per metered viewer session, and only while media really flows to it.
 * A session may own several transports (signaling allows one, but the node does not rely on
 * that): each one counts, and a session is ticked at most once a second.
 *
 * Flow is read where it is cheap: transport and consumer states are local mirrors, and the
 * only IPC is one getStats per producer that metered consumers read, so the cost grows with
 * streams, not with viewers. A producer seen for the first time has no baseline and counts
 * as not flowing that second, so a doubt never bills.
 */
/** Milliseconds from `now` to the next half second past a whole one (x.500), never 0. */
export function nextSampleDelay(now: number): number {
  const phase = (((now - 500) % 1000) + 1000) % 1000;
  return 1000 - phase;
}

export class Meter {
  readonly #sink: TickSink;
  readonly #log: Logger;
  readonly #producer: (id: string) => types.Producer | undefined;
  readonly #sessions = new Map<string, Watched[]>();
  /** Producer id → its received RTP bytes at the previous sample. */
  readonly #bytes = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #ticks = 0;

  constructor(sink: TickSink, log: Logger, opts: { producer: (id: string) => types.Producer | undefined }) {
    this.#sink = sink;
    this.#log = log;
    this.#producer = opts.producer;
    this.#schedule();
  }

  get ticks(): number {
    return this.#ticks;
  }

  get sessions(): number {
    return this.#sessions.size;
  }

  /** Meters `transport` under `sessionId`, beside any transport the session already has. */
  watch(sessionId: string, transport: types.WebRtcTransport, consumers: () => readonly MeteredConsumer[]): void {
    const entry: Watched = { transport, consumers };
    let list = this.#sessions.get(sessionId);
    if (!list) this.#sessions.set(sessionId, (list = []));
    list.push(entry);
    transport.observer.once('close', () => {
      const current = this.#sessions.get(sessionId);
      if (!current) return;
      const rest = current.filter((w) => w !== entry);
      if (rest.length) this.#sessions.set(sessionId, rest);
      else this.#sessions.delete(sessionId);
    });
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#sessions.clear();
  }

  // Each sample is aimed at the middle of its second and labelled with that second. A
  // setInterval drifts and jitters under load, and a sample landing just past a boundary after
  // one just before it skips a second that was watched: the creator goes unpaid for it.
  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      void this.#sample();
      this.#schedule();
    }, nextSampleDelay(Date.now()));
    this.#timer.unref();
  }

  async #sample(): Promise<void> {
    const unixSecond = Math.floor(Date.now() / 1000);
    const flowing = await this.#flowingProducers();
    const sessions = billableSessions(this.#sessions, (id) => flowing.has(id));
    if (sessions.length === 0) return;
    const ticks = sessions.map((sessionId) => ({ sessionId, unixSecond }));
    try {
      // A retried second is harmless downstream: tick windows hold seconds, not counts.
      await this.#sink.record(ticks);
      this.#ticks += ticks.length;
    } catch (err) {
      this.#log.warn({ ticks: ticks.length, err }, 'ticks not recorded');
    }
  }

  /** Producers metered consumers read whose received bytes rose enough since the last sample. */
  async #flowingProducers(): Promise<Set<string>> {
    const wanted = new Set<string>();
    for (const list of this.#sessions.values()) {
      for (const w of list) for (const c of w.consumers()) if (!c.closed) wanted.add(c.producerId);
    }
    for (const id of this.#bytes.keys()) if (!wanted.has(id)) this.#bytes.delete(id);
    const flowing = new Set<string>();
    await Promise.all(
      [...wanted].map(async (id) => {
        const producer = this.#producer(id);
        if (!producer || producer.closed) return;
        const stats = await producer.getStats().catch(() => undefined);
        if (!stats) return;
        const bytes = stats.reduce((sum, s) => sum + (s.byteCount ?? 0), 0);
        const previous = this.#bytes.get(id);
        this.#bytes.set(id, bytes);
        if (previous !== undefined && bytes - previous >= MIN_RTP_BYTES_PER_SECOND) flowing.add(id);
      }),
    );
    return flowing;
  }
}
