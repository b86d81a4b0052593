// Publishes a camera/mic MediaStream to the SFU and keeps it published: any drop of
// the socket or the media transport tears the session down and rebuilds it from a
// fresh token, until stop() is called or the stream can no longer go live.
import type { ConnectionState, Producer, RtpCodecCapability, RtpEncodingParameters } from 'mediasoup-client/types';
import { startStream } from './api.ts';
import { openSession } from './connect.ts';
import { errorMessage, isFatal, isNotLive } from './errors.ts';
import { closeSession, createDevice, loadDevice, relay, transportOptions, watchTransport, wireConnect, type MediaSession } from './mediasoup.ts';
import { Observable } from './observable.ts';
import { RetryLoop, Superseded } from './RetryLoop.ts';
import { CloseCode } from '@vilokanam/contracts/signaling';
import { t } from '#lib/i18n/index.ts';

type Kind = 'audio' | 'video';


export const SIMULCAST_ENCODINGS: RtpEncodingParameters[] = [
  { rid: 'r0', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: 'r1', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: 'r2', scaleResolutionDownBy: 1, maxBitrate: 1_500_000 },
];

export interface PublisherSnapshot {
  /** ICE/DTLS state of the send transport; 'closed' once publishing has finished. */
  connection: ConnectionState;
  /** True between a drop and the next healthy connection. */
  reconnecting: boolean;
  viewers: number;
  /** Latest problem worth showing to the creator, cleared when connected. */
  error: string | null;
  /** Why publishing finished for good, if it has. */
  ended: null | 'stopped' | 'stream_ended' | 'replaced' | 'fatal';
}

export interface PublisherOptions {
  streamId: string;
  streamKey: string;
  media: MediaStream;
  signalingUrl?: string;
  /**
   * A video codec to send when the browser can (`video/H264` for a recorded stream: recordings
   * are fragmented MP4, which players cannot read VP8 from).
   */
  preferVideoCodec?: string;
}

/** One simulcast layer as the browser's encoder reports it. */
export interface EncoderLayer {
  rid: string | null;
  width: number;
  height: number;
  fps: number;
  /** Why the encoder holds back: 'cpu', 'bandwidth', or 'none'. */
  limitation: string;
}

interface Session extends MediaSession {
  producers: Map<Kind, Producer>;
  codecs?: RtpCodecCapability[];
}

export class Publisher {
  readonly state = new Observable<PublisherSnapshot>({
    connection: 'new',
    reconnecting: false,
    viewers: 0,
    error: null,
    ended: null,
  });

  readonly #opts: PublisherOptions;
  readonly #tracks = new Map<Kind, MediaStreamTrack>();
  readonly #loop = new RetryLoop((generation) => void this.#connect(generation));
  #session: Session | null = null;
  /** Set after the server says the stream is not live, so the next attempt re-starts it. */
  #needsStart = false;
  #firstPublish = Promise.withResolvers<void>();

  constructor(options: PublisherOptions) {
    this.#opts = options;
    for (const track of options.media.getTracks()) this.#tracks.set(track.kind as Kind, track);
    // start() callers may never await; avoid an unhandled rejection in that case.
    this.#firstPublish.promise.catch(() => {});
  }

  /** Resolves once media is first published; rejects if publishing fails for good. */
  start(): Promise<void> {
    this.#loop.start();
    return this.#firstPublish.promise;
  }

  /** Swap the camera or microphone without renegotiating (also used while live). */
  async setTrack(track: MediaStreamTrack): Promise<void> {
    const kind = track.kind as Kind;
    this.#tracks.set(kind, track);
    const session = this.#session;
    const producer = session?.producers.get(kind);
    if (producer && !producer.closed) await producer.replaceTrack({ track });
    else if (session?.transport) await this.#produce(session, kind, track);
  }

  stop(): void {
    if (this.#loop.stopped) return;
    this.#loop.stop();
    this.#teardown();
    this.#finish('stopped', null);
  }

  async #connect(generation: number): Promise<void> {
    const check = () => this.#loop.assertCurrent(generation);
    this.#teardown();
    this.state.patch({ connection: 'connecting' });
    try {
      const { streamId, streamKey } = this.#opts;
      if (this.#needsStart) {
        try {
          await startStream(streamId, streamKey);
        } catch (error) {
          // Refusing to start again means the stream is over, not that we should keep trying.
          if (!isNotLive(error)) throw error;
          this.#loop.stop();
          this.#finish('stream_ended', null);
          return;
        }
        this.#needsStart = false;
      }
      const devicePromise = createDevice();
      const { token, sig } = await openSession(streamId, 'publisher', {
        streamKey,
        signalingUrl: this.#opts.signalingUrl,
      });
      if (!this.#loop.isCurrent(generation)) {
        sig.close();
        return;
      }
      const session: Session = { sig, transport: null, producers: new Map(), cancelWatch: () => {} };
      this.#session = session;
      sig.onClose((info) => {
        if (info.byClient || !this.#loop.isCurrent(generation)) return;
        // Another studio tab took over: reconnecting would only steal it back.
        if (info.code === CloseCode.replacedByNewPublisher) {
          this.#loop.stop();
          this.#teardown();
          this.#finish('replaced', t('errors.replaced'));
        } else {
          this.#lost(generation, t('errors.lostServer'));
        }
      });
      sig.on('viewers', ({ count }) => this.state.patch({ viewers: count }));
      sig.on('streamEnded', () => {
        this.#loop.stop();
        this.#teardown();
        this.#finish('stream_ended', null);
      });

      const joined = await sig.request('join', { token });
      check();
      this.state.patch({ viewers: joined.viewers });
      const [device, params] = await Promise.all([
        loadDevice(devicePromise, joined.routerRtpCapabilities),
        sig.request('createTransport', { direction: 'send' }),
      ]);
      check();

      const transport = device.createSendTransport(transportOptions(params));
      session.transport = transport;
      session.codecs = device.rtpCapabilities.codecs ?? [];
      wireConnect(transport, sig);
      transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
        relay(sig.request('produce', { transportId: transport.id, kind, rtpParameters, appData }), ({ id }) => callback({ id }), errback);
      });
      session.cancelWatch = watchTransport(transport, {
        onState: (state) => this.#onTransportState(generation, state),
        onLost: (reason) => this.#lost(generation, reason),
      });

      for (const [kind, track] of this.#tracks) {
        if (track.readyState === 'live') await this.#produce(session, kind, track);
        check();
      }
      if (session.producers.size === 0) {
        // Retrying cannot conjure a camera; say so instead of looping.
        this.#loop.stop();
        this.#teardown();
        this.#finish('fatal', t('errors.noDevices'));
        return;
      }
      this.#firstPublish.resolve();
    } catch (error) {
      if (error instanceof Superseded || !this.#loop.isCurrent(generation)) return;
      this.#failed(generation, error);
    }
  }

  async #produce(session: Session, kind: Kind, track: MediaStreamTrack): Promise<void> {
    if (!session.transport) return;
    const producer =
      kind === 'video'
        ? await session.transport.produce({
            track,
            encodings: SIMULCAST_ENCODINGS,
            codecOptions: { videoGoogleStartBitrate: 1000 },
            ...this.#preferredCodec(session),
            // The studio owns the tracks (its preview keeps using them across reconnects).
            stopTracks: false,
            appData: { source: 'camera' },
          })
        : await session.transport.produce({ track, stopTracks: false, appData: { source: 'mic' } });
    session.producers.set(kind, producer);
  }

  /** What this browser encodes, per simulcast layer: the part of stream health only it knows. */
  async videoStats(): Promise<EncoderLayer[]> {
    const producer = this.#session?.producers.get('video');
    if (!producer || producer.closed) return [];
    const report = await producer.getStats();
    const layers: EncoderLayer[] = [];
    report.forEach((s: Record<string, unknown>) => {
      if (s.type !== 'outbound-rtp') return;
      layers.push({
        rid: typeof s.rid === 'string' ? s.rid : null,
        width: Number(s.frameWidth ?? 0),
        height: Number(s.frameHeight ?? 0),
        fps: Number(s.framesPerSecond ?? 0),
        limitation: typeof s.qualityLimitationReason === 'string' ? s.qualityLimitationReason : 'none',
      });
    });
    return layers;
  }

  #preferredCodec(session: Session): { codec?: RtpCodecCapability } {
    const wanted = this.#opts.preferVideoCodec?.toLowerCase();
    const codec = wanted && session.codecs?.find((c) => c.mimeType.toLowerCase() === wanted && (c.parameters?.['packetization-mode'] ?? 1) === 1);
    return codec ? { codec } : {};
  }

  #onTransportState(generation: number, connection: ConnectionState): void {
    if (!this.#loop.isCurrent(generation)) return;
    if (connection === 'connected') {
      this.#loop.succeeded();
      this.state.patch({ connection, reconnecting: false, error: null });
    } else {
      this.state.patch({ connection });
    }
  }

  #failed(generation: number, error: unknown): void {
    if (isFatal(error)) {
      this.#loop.stop();
      this.#teardown();
      this.#finish('fatal', errorMessage(error));
      return;
    }
    // The server may have ended the stream while we were away; re-start it next time.
    if (isNotLive(error)) this.#needsStart = true;
    this.#lost(generation, errorMessage(error));
  }

  #lost(generation: number, reason: string): void {
    if (this.#loop.retry(generation) === null) return;
    this.#teardown();
    this.state.patch({ connection: 'disconnected', reconnecting: true, error: reason });
  }

  #teardown(): void {
    const session = this.#session;
    this.#session = null;
    if (session) closeSession(session, session.producers.values());
  }

  #finish(ended: NonNullable<PublisherSnapshot['ended']>, error: string | null): void {
    this.state.patch({ connection: 'closed', reconnecting: false, ended, error });
    if (ended === 'fatal') this.#firstPublish.reject(new Error(error ?? t('errors.publishFailed')));
    else this.#firstPublish.resolve();
  }
}
