import type { types } from 'mediasoup';
import type { TransportCloseReason } from '@vilokanam/contracts/control';

/**
 * Ends a WebRTC transport that is no use to anyone: never connected within `connectTimeoutMs`,
 * DTLS failed or closed, or ICE consent lost (mediasoup reports `disconnected` after 30 s
 * without it) and not restored within another `connectTimeoutMs`. A browser session restarts
 * ICE within that; a WHIP encoder that vanished without a word (OBS killed) never will, and
 * its transport would otherwise keep the stream "live" forever.
 */
export function watchTransportLifetime(
  transport: types.WebRtcTransport,
  connectTimeoutMs: number,
  onEnd: (reason: TransportCloseReason, state: string) => void,
): void {
  let timer: NodeJS.Timeout | undefined;
  const end = (reason: TransportCloseReason, state: string): void => {
    if (transport.closed) return;
    transport.close();
    onEnd(reason, state);
  };
  const arm = (reason: TransportCloseReason): void => {
    clearTimeout(timer);
    timer = setTimeout(() => end(reason, `${transport.dtlsState}/${transport.iceState}`), connectTimeoutMs).unref();
  };
  arm('connect_timeout');
  transport.on('dtlsstatechange', (state) => {
    if (state === 'connected') clearTimeout(timer);
    if (state === 'failed' || state === 'closed') end('dtls_failed', state);
  });
  transport.on('icestatechange', (state) => {
    if (state === 'disconnected' && transport.dtlsState === 'connected') arm('ice_lost');
    else if ((state === 'connected' || state === 'completed') && transport.dtlsState === 'connected') clearTimeout(timer);
  });
  transport.observer.once('close', () => clearTimeout(timer));
}
