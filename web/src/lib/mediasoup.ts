// Glue between the signaling responses and mediasoup-client. The server hands us
// router capabilities and transport parameters as opaque JSON; mediasoup-client
// validates them itself, so the casts here are the single trust boundary.
import { Device } from 'mediasoup-client';
import type {
  DtlsParameters,
  IceCandidate,
  IceParameters,
  RtpCapabilities,
  Transport,
  TransportOptions,
} from 'mediasoup-client/types';
import type { ResponseMap } from '@vilokanam/contracts/signaling';
import type { SignalingClient } from './SignalingClient.ts';

/**
 * Start detecting the browser's WebRTC handler right away; it needs nothing from the
 * server, so callers overlap it with the network round trips and load it after join.
 */
export function createDevice(): Promise<Device> {
  const device = Device.factory();
  // Callers may bail out (superseded attempt) before awaiting; never leave it unhandled.
  device.catch(() => {});
  return device;
}

export async function loadDevice(device: Promise<Device>, routerRtpCapabilities: unknown): Promise<Device> {
  const loaded = await device;
  await loaded.load({ routerRtpCapabilities: routerRtpCapabilities as RtpCapabilities });
  return loaded;
}

export function transportOptions(params: ResponseMap['createTransport']): TransportOptions {
  return {
    id: params.id,
    iceParameters: params.iceParameters as IceParameters,
    iceCandidates: params.iceCandidates as IceCandidate[],
    dtlsParameters: params.dtlsParameters as DtlsParameters,
  };
}

/** Answer one of mediasoup-client's transport events from a signaling request. */
export function relay<T>(request: Promise<T>, callback: (answer: T) => void, errback: (error: Error) => void): void {
  // mediasoup-client wants an Error; a failed request may reject with anything.
  request.then(callback, (error: unknown) => errback(error instanceof Error ? error : new Error(String(error))));
}

/** Answer mediasoup-client's DTLS 'connect' event through the signaling socket. */
export function wireConnect(transport: Transport, sig: SignalingClient): void {
  transport.on('connect', ({ dtlsParameters }, callback, errback) => {
    relay(sig.request('connectTransport', { transportId: transport.id, dtlsParameters }), () => callback(), errback);
  });
}

/** What a Publisher or Viewer session holds besides its producers or consumers. */
export interface MediaSession {
  sig: SignalingClient;
  transport: Transport | null;
  cancelWatch: () => void;
}

/**
 * Ends a session. The grace timer goes first, so a torn-down transport never reports itself
 * lost later; then the producers or consumers, the transport and the socket.
 */
export function closeSession(session: MediaSession, endpoints: Iterable<{ close(): void }>): void {
  session.cancelWatch();
  for (const endpoint of endpoints) endpoint.close();
  session.transport?.close();
  session.sig.close();
}

/**
 * Watch a transport's ICE/DTLS state. 'failed' is reported at once; 'disconnected'
 * only if it lasts longer than `graceMs`, because brief ICE blips recover on their own.
 * Returns a function that cancels the pending grace timer.
 */
export function watchTransport(
  transport: Transport,
  handlers: { onState: (state: Transport['connectionState']) => void; onLost: (reason: string) => void },
  graceMs = 2_000,
): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const clear = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  transport.on('connectionstatechange', (state) => {
    handlers.onState(state);
    if (state === 'connected') clear();
    else if (state === 'failed') {
      clear();
      handlers.onLost('Media connection failed');
    } else if (state === 'disconnected' && timer === null) {
      timer = setTimeout(() => {
        timer = null;
        handlers.onLost('Media connection interrupted');
      }, graceMs);
    }
  });
  return clear;
}
