// Plays one stream: joins as a viewer, consumes every producer into a MediaStream and
// keeps doing so across drops (fresh token per attempt) until the stream ends.
import type { Consumer, RtpParameters } from 'mediasoup-client/types';
import type { LayerChoice } from '@vilokanam/contracts/signaling';
import type { Device } from 'mediasoup-client';
import { getStream } from './api.ts';
import { openSession } from './connect.ts';
import { errorMessage, isFatal, remedyFor } from './errors.ts';
import { closeSession, createDevice, loadDevice, transportOptions, watchTransport, wireConnect, type MediaSession } from './mediasoup.ts';
import { Observable } from './observable.ts';
import { RetryLoop, Superseded } from './RetryLoop.ts';
import { SignalingError } from './SignalingClient.ts';
import { initialViewerSnapshot, type ViewerSnapshot } from './viewerState.ts';
import { t } from '#lib/i18n/index.ts';

export type { ViewerSnapshot, ViewerStatus } from './viewerState.ts';

export interface ViewerOptions {
  streamId: string;
  layer?: LayerChoice;
  signalingUrl?: string;
  /** The price the viewer was shown; the server refuses if it has changed since. */
  pricePerSecond?: string;
}

interface Session extends MediaSession {
  generation: number;
  device: Device | null;
  /** Producers announced before the transport existed, consumed once it does. */
  queued: Set<string>;
  inflight: Set<string>;
  consumers: Map<string, Consumer>; // by producerId
}

/** A closed socket is handled by the reconnect path; a producer that vanished between
 * announcement and consume is simply skipped. Anything else is worth a console line. */
function warnConsumeFailure(producerId: string | undefined, error: unknown): void {
  if (error instanceof SignalingError && error.code === 'closed') return;
  console.warn(`[viewer] could not consume ${producerId ?? '?'}`, error);
}

export class Viewer {
  readonly state: Observable<ViewerSnapshot>;
  readonly #opts: ViewerOptions;
  readonly #loop = new RetryLoop((generation) => void this.#connect(generation));
  #session: Session | null = null;
  #everLive = false;

  constructor(options: ViewerOptions) {
    this.#opts = options;
    this.state = new Observable(initialViewerSnapshot(options.layer ?? 'auto'));
  }

  start(): void {
    this.state.patch({ status: 'connecting', message: null });
    this.#loop.start();
  }

  stop(): void {
    this.#loop.stop();
    this.#teardown();
    this.state.patch({ status: 'idle', message: null, media: null, layer: null });
  }

  /** Tells the creator's health view how often the picture froze here in the last minute. */
  reportQuality(freezesLastMinute: number): void {
    const session = this.#session;
    if (!session) return;
    session.sig.request('quality', { freezesLastMinute: Math.min(600, Math.max(0, Math.round(freezesLastMinute))) }).catch(() => {});
  }

  /** Pick a simulcast layer (0 lowest … 2 highest) or let bandwidth estimation decide. */
  async setLayer(layer: LayerChoice): Promise<void> {
    this.state.patch({ layerChoice: layer });
    const session = this.#session;
    const video = session && [...session.consumers.values()].find((c) => c.kind === 'video');
    if (!session || !video) return; // applied when the video consumer is created
    try {
      await session.sig.request('setLayer', { consumerId: video.id, layer });
    } catch (error) {
      console.warn('[viewer] setLayer failed', error);
    }
  }

  async #connect(generation: number): Promise<void> {
    const check = () => this.#loop.assertCurrent(generation);
    try {
      const devicePromise = createDevice();
      const { token, sig } = await openSession(this.#opts.streamId, 'viewer', {
        signalingUrl: this.#opts.signalingUrl,
        pricePerSecond: this.#opts.pricePerSecond,
      });
      if (!this.#loop.isCurrent(generation)) {
        sig.close();
        return;
      }
      const session: Session = {
        generation,
        sig,
        device: null,
        transport: null,
        queued: new Set(),
        inflight: new Set(),
        consumers: new Map(),
        cancelWatch: () => {},
      };
      this.#session = session;
      this.#subscribe(session);

      const joined = await sig.request('join', { token });
      check();
      this.state.patch({ viewers: joined.viewers, pricePerSecond: joined.pricePerSecond });
      for (const { producerId } of joined.producers) session.queued.add(producerId);

      // The transport is created server-side while the device loads locally.
      const [device, params] = await Promise.all([
        loadDevice(devicePromise, joined.routerRtpCapabilities),
        sig.request('createTransport', { direction: 'recv' }),
      ]);
      check();
      session.device = device;
      const transport = device.createRecvTransport(transportOptions(params));
      session.transport = transport;
      wireConnect(transport, sig);
      session.cancelWatch = watchTransport(transport, {
        onState: () => this.#refresh(session),
        onLost: (reason) => this.#lost(generation, reason),
      });

      const pending = [...session.queued];
      session.queued.clear();
      await this.#consume(session, pending);
      check();
      this.#refresh(session);
    } catch (error) {
      if (error instanceof Superseded || !this.#loop.isCurrent(generation)) return;
      await this.#failed(generation, error);
    }
  }

  #subscribe(session: Session): void {
    const { sig, generation } = session;
    sig.onClose((info) => {
      if (!info.byClient) this.#lost(generation, t('errors.connectionLost'));
    });
    sig.on('viewers', ({ count }) => this.state.patch({ viewers: count }));
    sig.on('streamEnded', () => this.#ended());
    // The node has already paused our media; rejoining would be refused until a top-up.
    sig.on('overdraft', ({ message, topUpUrl }) => {
      this.#loop.stop();
      this.#teardown();
      this.state.patch({ status: 'error', message, media: null, remedy: { href: topUpUrl, label: t('errors.topUp') } });
    });
    sig.on('streamLive', () => this.#refresh(session));
    sig.on('producerAdded', ({ producerId }) => {
      if (session.transport) void this.#consume(session, [producerId]);
      else session.queued.add(producerId);
    });
    sig.on('producerClosed', ({ producerId }) => {
      session.queued.delete(producerId);
      this.#dropConsumer(session, producerId);
    });
    sig.on('consumerClosed', ({ consumerId }) => {
      const entry = [...session.consumers].find(([, c]) => c.id === consumerId);
      if (entry) this.#dropConsumer(session, entry[0]);
    });
    sig.on('consumerLayers', ({ consumerId, spatialLayer }) => {
      const consumer = [...session.consumers.values()].find((c) => c.id === consumerId);
      if (consumer?.kind === 'video') this.state.patch({ layer: spatialLayer });
    });
  }

  async #consume(session: Session, producerIds: string[]): Promise<void> {
    const { sig, device, transport } = session;
    if (!device || !transport) return;
    const ids = producerIds.filter((id) => !session.consumers.has(id) && !session.inflight.has(id));
    if (ids.length === 0) return;
    for (const id of ids) session.inflight.add(id);
    try {
      const answers = await Promise.allSettled(
        ids.map((producerId) =>
          sig.request('consume', { transportId: transport.id, producerId, rtpCapabilities: device.recvRtpCapabilities }),
        ),
      );
      // Creating every consumer in the same tick lets mediasoup-client fold them into a
      // single SDP renegotiation, which is a visible part of the time to first frame.
      const created = await Promise.allSettled(
        answers.map((answer) =>
          answer.status === 'rejected'
            ? Promise.reject(answer.reason)
            : transport.consume({
                id: answer.value.id,
                producerId: answer.value.producerId,
                kind: answer.value.kind,
                rtpParameters: answer.value.rtpParameters as RtpParameters,
              }),
        ),
      );
      const consumers: Consumer[] = [];
      created.forEach((result, i) => {
        if (result.status === 'fulfilled') consumers.push(result.value);
        else warnConsumeFailure(ids[i], result.reason);
      });
      if (this.#session !== session) {
        for (const consumer of consumers) consumer.close();
        return;
      }
      for (const consumer of consumers) session.consumers.set(consumer.producerId, consumer);
      // Attach the tracks before resuming so the element is ready when packets arrive.
      this.#publishMedia(session);
      const choice = this.state.value.layerChoice;
      await Promise.all(
        consumers.map(async (consumer) => {
          // Pin the requested layer before resuming so the first frames already match it.
          if (consumer.kind === 'video' && choice !== 'auto') {
            await sig.request('setLayer', { consumerId: consumer.id, layer: choice });
          }
          await sig.request('resumeConsumer', { consumerId: consumer.id });
        }),
      );
    } catch (error) {
      warnConsumeFailure(ids.join(', '), error);
    } finally {
      for (const id of ids) session.inflight.delete(id);
      this.#refresh(session);
    }
  }

  #dropConsumer(session: Session, producerId: string): void {
    const consumer = session.consumers.get(producerId);
    if (!consumer) return;
    consumer.close();
    session.consumers.delete(producerId);
    this.#publishMedia(session);
    this.#refresh(session);
  }

  #publishMedia(session: Session): void {
    if (this.#session !== session) return;
    const tracks = [...session.consumers.values()].map((c) => c.track);
    // A new MediaStream per track set: media elements reliably pick up a new srcObject,
    // whereas tracks added to an already-playing stream are not always rendered.
    this.state.patch({ media: tracks.length ? new MediaStream(tracks) : null });
  }

  /** Recompute status from the session: live needs media flowing over a connected transport. */
  #refresh(session: Session): void {
    if (this.#session !== session || !this.#loop.isCurrent(session.generation)) return;
    const connected = session.transport?.connectionState === 'connected';
    if (connected && session.consumers.size > 0) {
      this.#everLive = true;
      this.#loop.succeeded();
      this.state.patch({ status: 'live', message: null });
    } else if (session.transport && session.consumers.size === 0 && session.inflight.size === 0) {
      const status = this.#everLive ? 'reconnecting' : 'connecting';
      this.state.patch({ status, message: 'Waiting for the broadcaster…' });
    }
  }

  async #failed(generation: number, error: unknown): Promise<void> {
    if (isFatal(error)) {
      this.#loop.stop();
      this.#teardown();
      this.state.patch({ status: 'error', message: errorMessage(error), media: null, remedy: remedyFor(error) });
      return;
    }
    // A refused join often just means the stream is over; ask before retrying forever.
    const stream = await getStream(this.#opts.streamId).catch(() => null);
    if (!this.#loop.isCurrent(generation)) return;
    if (stream?.status === 'ended') {
      this.#ended();
      return;
    }
    const notStarted = stream?.status === 'created';
    this.#lost(generation, notStarted ? 'Waiting for the stream to go live…' : errorMessage(error));
  }

  #lost(generation: number, reason: string): void {
    if (this.#loop.retry(generation) === null) return;
    this.#teardown();
    const status = this.#everLive ? 'reconnecting' : 'connecting';
    this.state.patch({ status, message: reason, media: null, layer: null });
  }

  #ended(): void {
    this.#loop.stop();
    this.#teardown();
    this.state.patch({ status: 'ended', message: t('errors.streamEnded'), media: null, layer: null, viewers: 0 });
  }

  #teardown(): void {
    const session = this.#session;
    this.#session = null;
    if (session) closeSession(session, session.consumers.values());
  }
}
