// The studio's health history: a bounded series per layer, and the SVG path that draws it.
import type { IngestLayer } from '@vilokanam/contracts/health';

export const HISTORY_POINTS = 60;

export type LayerSeries = Map<string, number[]>;

/** A layer's name as creators read it: q/h/f rids, or the kind for single-layer streams. */
export function layerLabel(layer: Pick<IngestLayer, 'kind' | 'rid'>): string {
  if (layer.kind === 'audio') return 'audio';
  return layer.rid ? `video ${layer.rid}` : 'video';
}

/** Appends one sample per layer; a layer missing from a sample gets 0, so gaps show as drops. */
export function pushSample(series: LayerSeries, layers: IngestLayer[], pick: (l: IngestLayer) => number): LayerSeries {
  const next: LayerSeries = new Map();
  const labels = new Set([...series.keys(), ...layers.map(layerLabel)]);
  for (const label of labels) {
    const value = layers.find((l) => layerLabel(l) === label);
    const points = [...(series.get(label) ?? []), value ? pick(value) : 0].slice(-HISTORY_POINTS);
    next.set(label, points);
  }
  return next;
}

/** An SVG polyline path over `width`×`height` for `points`, scaled to `max`. */
export function sparkPath(points: number[], max: number, width: number, height: number): string {
  if (points.length === 0 || max <= 0) return '';
  const step = width / Math.max(1, HISTORY_POINTS - 1);
  const x0 = width - (points.length - 1) * step;
  return points.map((v, i) => `${i === 0 ? 'M' : 'L'}${(x0 + i * step).toFixed(1)},${(height - (Math.min(v, max) / max) * height).toFixed(1)}`).join(' ');
}
