// A lightweight, real WebRTC viewer for tests and benchmarks with many viewers: the
// signaling protocol over a WebSocket, then ICE, DTLS and SRTP through werift's pure
// TypeScript stack. It counts packets and frames and reads resolutions from VP8
// keyframes instead of decoding, so dozens fit on one core.
import { EventEmitter } from 'node:events';
import { WeriftReceiver, weriftCapabilities, type ReceiverStats } from './WeriftReceiver.ts';
import { WsTestClient } from './WsTestClient.ts';

export interface NodeViewerStats extends ReceiverStats {
  state: 'connecting' | 'live' | 'reconnecting' | 'ended' | 'closed';
  joins: number;
}

export interface NodeViewerEvents {
  /** `id` names the frame across viewers: a hash of its last packet's VP8 payload. */
  frame: [{ at: number; keyframe: boolean; id: string }];
  /** First frame of a (re)joined session. */
  live: [{ at: number; joinMs: number }];
  lost: [{ at: number; code: number }];
}

export class NodeViewer extends EventEmitter<NodeViewerEvents> {
  readonly stats: NodeViewerStats = { state: 'connecting', packets: 0, bytes: 0, frames: 0, keyframes: 0, width: 0, height: 0, joins: 0, lastFrameAt: 0 };
  readonly #baseUrl: string;
  readonly #streamId: string;
  #ws: WsTestClient | undefined;
  #receiver: WeriftReceiver | undefined;
  #videoConsumerId: string | undefined;
  #consumerIds: string[] = [];
  #sessionId: string | undefined;
  #closed = false;

  readonly #cookie: string | undefined;

  /** `cookie`: a signed-in viewer's session cookie, which a paid stream's token needs. */
  constructor(baseUrl: string, streamId: string, opts: { cookie?: string } = {}) {
    super();
    this.#baseUrl = baseUrl;
    this.#streamId = streamId;
    this.#cookie = opts.cookie;
  }

  /** Joins and resolves once the first frame arrives. */
  async start(timeoutMs = 20_000): Promise<number> {
    const live = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no frame within ${timeoutMs} ms`)), timeoutMs);
      this.once('live', ({ joinMs }) => {
        clearTimeout(timer);
        resolve(joinMs);
      });
    });
    void this.#session();
    return live;
  }

  async setLayer(layer: 'auto' | number): Promise<void> {
    if (!this.#ws || !this.#videoConsumerId) throw new Error('not playing');
    const reply = await this.#ws.request('setLayer', { consumerId: this.#videoConsumerId, layer });
    if (!reply.ok) throw new Error(reply.error?.message);
  }

  /** Pauses every consumer, as a player's pause button would. */
  async pause(): Promise<void> {
    for (const consumerId of this.#consumerIds) await this.#ok(this.#ws!, 'pauseConsumer', { consumerId });
  }

  async resume(): Promise<void> {
    for (const consumerId of this.#consumerIds) await this.#ok(this.#ws!, 'resumeConsumer', { consumerId });
  }

  /** The signaling session id, which is also the metered session id. */
  get sessionId(): string | undefined {
    return this.#sessionId;
  }

  close(): void {
    this.#closed = true;
    this.stats.state = 'closed';
    this.#ws?.close();
    this.#receiver?.close();
  }

  async #session(): Promise<void> {
    const startedAt = performance.now();
    try {
      const res = await fetch(`${this.#baseUrl}/api/v1/streams/${this.#streamId}/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.#cookie ? { cookie: this.#cookie } : {}) },
        body: JSON.stringify({ role: 'viewer' }),
      });
      if (res.status === 409) {
        this.stats.state = 'ended';
        return;
      }
      const { token } = (await res.json()) as { token: string };
      const ws = await WsTestClient.connect(this.#baseUrl);
      this.#ws = ws;
      void ws.closed.then(({ code }) => this.#onLost(ws, code));
      ws.onEvent = (e) => {
        if (e.event === 'streamEnded' && this.#ws === ws) this.stats.state = 'ended';
        // The publisher's media went (its replica or origin died) and comes back as new
        // producers: a werift receiver cannot add tracks, so it rejoins as a new session.
        if (e.event === 'consumerClosed' && this.#ws === ws && this.#consumerIds.includes((e.data as { consumerId: string }).consumerId)) ws.close();
      };
      const joined = await this.#ok(ws, 'join', { token });
      this.#sessionId = joined.sessionId;
      const transport = await this.#ok(ws, 'createTransport', { direction: 'recv' });
      const rtpCapabilities = weriftCapabilities(joined.routerRtpCapabilities);
      // After an origin loss, viewers can rejoin before the studio has re-published.
      const producers = [...(joined.producers as { producerId: string; kind: string }[])];
      const deadline = Date.now() + 15_000;
      while (!producers.some((p) => p.kind === 'video') && Date.now() < deadline && !this.#closed) {
        for (const e of ws.events.splice(0)) if (e.event === 'producerAdded') producers.push(e.data);
        await new Promise((r) => setTimeout(r, 50));
      }
      const consumers = [];
      for (const p of producers) {
        consumers.push(await this.#ok(ws, 'consume', { transportId: transport.id, producerId: p.producerId, rtpCapabilities }));
      }
      const receiver = await WeriftReceiver.connect(ws, transport, consumers, this.stats);
      this.#receiver = receiver;
      receiver.hashFrames = () => this.listenerCount('frame') > 0;
      receiver.on('frame', (frame) => this.emit('frame', frame));
      receiver.once('first', ({ at }) => {
        this.stats.state = 'live';
        this.stats.joins++;
        this.emit('live', { at, joinMs: at - startedAt });
      });
      this.#consumerIds = consumers.map((c) => c.id);
      for (const c of consumers) {
        if (c.kind === 'video') this.#videoConsumerId = c.id;
        await this.#ok(ws, 'resumeConsumer', { consumerId: c.id });
      }
    } catch (err) {
      if (this.#closed) return;
      this.stats.state = 'reconnecting';
      setTimeout(() => void this.#session(), 500).unref();
    }
  }

  #onLost(ws: WsTestClient, code: number): void {
    if (this.#closed || this.#ws !== ws || this.stats.state === 'ended') return;
    this.#receiver?.close();
    this.#receiver = undefined;
    this.#videoConsumerId = undefined;
    this.stats.state = 'reconnecting';
    this.emit('lost', { at: performance.now(), code });
    setTimeout(() => void this.#session(), 100).unref();
  }

  async #ok(ws: WsTestClient, type: string, data: unknown): Promise<any> {
    const reply = await ws.request(type, data);
    if (!reply.ok) throw new Error(`${type}: ${reply.error?.code} ${reply.error?.message}`);
    return reply.data;
  }
}
