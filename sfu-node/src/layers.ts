import { parseScalabilityMode } from 'mediasoup';

/** A viewer's quality choice: `auto` lets bandwidth estimation pick up to the top layer. */
export type LayerChoice = 'auto' | number;

export interface PreferredLayers {
  spatialLayer: number;
  temporalLayer: number;
}

/**
 * Maps a viewer's choice onto mediasoup preferred layers. A fixed choice pins the spatial
 * layer but keeps the full frame rate of that layer.
 */
export function preferredLayersFor(choice: LayerChoice, scalabilityMode: string | undefined): PreferredLayers {
  const { spatialLayers, temporalLayers } = parseScalabilityMode(scalabilityMode);
  const top = spatialLayers - 1;
  if (choice !== 'auto' && (!Number.isInteger(choice) || choice < 0 || choice > top)) {
    throw new RangeError(`layer ${String(choice)} out of range 0..${top}`);
  }
  return { spatialLayer: choice === 'auto' ? top : choice, temporalLayer: temporalLayers - 1 };
}

export function spatialLayerCount(scalabilityMode: string | undefined): number {
  return parseScalabilityMode(scalabilityMode).spatialLayers;
}
