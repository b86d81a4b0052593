// The viewer's observable state and the words the watch page shows for it. Kept free
// of WebRTC so the mapping can be unit-tested.
import type { LayerChoice } from '@vilokanam/contracts/signaling';
import { t } from './i18n/index.ts';

export type ViewerStatus = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'ended' | 'error';

export interface ViewerSnapshot {
  status: ViewerStatus;
  /** Detail for the current status, e.g. why we are reconnecting. */
  message: string | null;
  viewers: number | null;
  /** Spatial layer the SFU is forwarding right now (0 lowest), if known. */
  layer: number | null;
  layerChoice: LayerChoice;
  media: MediaStream | null;
  /** Planck per second this session is billed at, fixed at join; null before joining. */
  pricePerSecond: string | null;
  /** What the viewer can do about an error (sign in, top up). */
  remedy: { href: string; label: string } | null;
}

export function initialViewerSnapshot(layerChoice: LayerChoice = 'auto'): ViewerSnapshot {
  return { status: 'idle', message: null, viewers: null, layer: null, layerChoice, media: null, pricePerSecond: null, remedy: null };
}

/** Message ids of the sentences, looked up when a sentence is asked for. */
const SENTENCES: Record<ViewerStatus, string> = {
  idle: 'viewer.idle',
  connecting: 'viewer.connecting',
  live: 'viewer.live',
  reconnecting: 'viewer.reconnecting',
  ended: 'viewer.ended',
  error: 'viewer.error',
};

/** One human sentence for the status badge; the status word itself stays machine-stable. */
export function viewerSentence(status: ViewerStatus, message: string | null): string {
  if (status === 'error' && message) return t('viewer.errorWith', { message });
  if ((status === 'connecting' || status === 'reconnecting') && message?.startsWith('Waiting')) return message;
  return t(SENTENCES[status]);
}

export interface QualityOption {
  value: 'auto' | '0' | '1' | '2';
  label: string;
}

/** The label is a getter, so the catalogue is read when the list is shown, not when this loads. */
const quality = (value: QualityOption['value'], key: string): QualityOption => ({
  value,
  get label() {
    return t(key);
  },
});

export const QUALITY_OPTIONS: readonly QualityOption[] = [
  quality('auto', 'viewer.qualityAuto'),
  quality('2', 'viewer.qualityHigh'),
  quality('1', 'viewer.qualityMedium'),
  quality('0', 'viewer.qualityLow'),
];

/** Parse a <select> value into a protocol layer choice; unknown input means auto. */
export function parseLayerChoice(value: string): LayerChoice {
  if (value === '0' || value === '1' || value === '2') return Number(value);
  return 'auto';
}

const LAYER_NAMES = ['viewer.layerLow', 'viewer.layerMedium', 'viewer.layerHigh'] as const;

/**
 * Names the forwarded layer by rank, not resolution: a small camera makes the browser
 * send fewer or smaller layers, so "2" is not always 720p.
 */
export function layerName(layer: number | null): string {
  if (layer === null) return '—';
  const name = LAYER_NAMES[layer];
  return name ? t('viewer.layer', { number: layer, name: t(name) }) : String(layer);
}
