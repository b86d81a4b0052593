import type { SignalingConfig } from '../config.ts';
import { startEmbeddedMedia } from './embedded.ts';
import { startFleetMedia } from './fleet.ts';
import { startKubernetesMedia } from './kubernetes.ts';
import type { MediaMode, ModeContext, PlatformOptions } from './MediaMode.ts';

export type { MediaMode, ModeContext, PlatformOptions } from './MediaMode.ts';

/** The media side of the platform for its mode: one builder per mode. */
export function startMedia(config: SignalingConfig, ctx: ModeContext, opts: PlatformOptions): Promise<MediaMode> {
  switch (config.sfuMode) {
    case 'embedded':
      return startEmbeddedMedia(config, ctx, opts);
    case 'fleet':
      return startFleetMedia(config, ctx);
    case 'kubernetes':
      return startKubernetesMedia(config, ctx, opts);
  }
}
