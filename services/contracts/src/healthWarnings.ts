import type { HealthWarning, IngestLayer } from './health.ts';

/** Where viewers start to suffer: players wait up to a keyframe interval to start, and seek by them. */
export const HEALTH_LIMITS = { maxKeyFrameInterval: 4, minTopBitrate: 300_000, maxTopBitrate: 8_000_000, maxLoss: 0.05 };

/** The warnings a creator should see for what the origin receives. */
export function healthWarnings(layers: IngestLayer[]): HealthWarning[] {
  const video = layers.filter((l) => l.kind === 'video');
  if (video.length === 0) return [{ code: 'no_video', message: 'No video is arriving. Check the camera or the encoder.' }];
  const warnings: HealthWarning[] = [];
  const slowest = Math.max(...video.map((l) => l.keyFrameInterval ?? 0));
  if (slowest > HEALTH_LIMITS.maxKeyFrameInterval) {
    warnings.push({ code: 'keyframe_interval', message: `Keyframes arrive every ${slowest.toFixed(1)} s: viewers wait that long to start. Set the encoder's keyframe interval to 2 s.` });
  }
  const top = Math.max(...video.map((l) => l.bitrate));
  if (top < HEALTH_LIMITS.minTopBitrate) {
    warnings.push({ code: 'bitrate_low', message: `The best layer arrives at ${(top / 1000).toFixed(0)} kbit/s: the picture will be blurry. Raise the bitrate or check the upload.` });
  } else if (top > HEALTH_LIMITS.maxTopBitrate) {
    warnings.push({ code: 'bitrate_high', message: `The best layer arrives at ${(top / 1e6).toFixed(1)} Mbit/s: many viewers cannot receive that much. Keep it under 6 Mbit/s.` });
  }
  const lossy = layers.filter((l) => l.fractionLost > HEALTH_LIMITS.maxLoss);
  if (lossy.length > 0) {
    const worst = Math.max(...lossy.map((l) => l.fractionLost));
    warnings.push({ code: 'packet_loss', message: `${(worst * 100).toFixed(0)}% of packets are lost on the way in: lower the bitrate or use a wired connection.` });
  }
  return warnings;
}
