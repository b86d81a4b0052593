import os from 'node:os';
import type { types } from 'mediasoup';

export interface SfuNodeConfig {
  /** Path to the self-built mediasoup-worker binary. */
  workerBin: string;
  numWorkers: number;
  /** Address the worker binds for media. */
  listenIp: string;
  /** Address put in ICE candidates (a public or node IP when listenIp is 0.0.0.0). */
  announcedAddress: string | undefined;
  rtcMinPort: number;
  rtcMaxPort: number;
  logLevel: types.WorkerLogLevel;
  initialOutgoingBitrate: number;
  /** Coalesces keyframe requests so joins and edges cannot storm the publisher. */
  keyFrameRequestDelayMs: number;
  /** A WebRTC transport whose DTLS is not up after this long is closed. */
  connectTimeoutMs: number;
  recording: {
    /** Where this node writes recordings (a PersistentVolume in a cluster). */
    dir: string;
    ffmpeg: string;
    segmentSeconds: number;
    keyFrameIntervalMs: number;
    settleMs: number;
  };
}

function intEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

export function sfuConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SfuNodeConfig {
  const workerBin = env.MEDIASOUP_WORKER_BIN;
  if (!workerBin) {
    throw new Error('MEDIASOUP_WORKER_BIN is not set: build the worker with scripts/mediasoup-worker/build.sh');
  }
  const rtcMinPort = intEnv(env, 'VILO_SFU_RTC_MIN_PORT', 40000);
  const rtcMaxPort = intEnv(env, 'VILO_SFU_RTC_MAX_PORT', 49999);
  if (rtcMaxPort <= rtcMinPort) throw new Error('VILO_SFU_RTC_MAX_PORT must exceed VILO_SFU_RTC_MIN_PORT');
  return {
    workerBin,
    numWorkers: intEnv(env, 'VILO_SFU_WORKERS', 0) || os.availableParallelism(),
    listenIp: env.VILO_SFU_LISTEN_IP || '127.0.0.1',
    announcedAddress: env.VILO_SFU_ANNOUNCED_ADDRESS || undefined,
    rtcMinPort,
    rtcMaxPort,
    logLevel: (env.VILO_SFU_WORKER_LOG_LEVEL as types.WorkerLogLevel | undefined) ?? 'warn',
    initialOutgoingBitrate: intEnv(env, 'VILO_SFU_INITIAL_BITRATE', 1_500_000),
    keyFrameRequestDelayMs: intEnv(env, 'VILO_SFU_KEYFRAME_DELAY_MS', 500),
    connectTimeoutMs: intEnv(env, 'VILO_SFU_CONNECT_TIMEOUT_MS', 15_000) || 15_000,
    recording: {
      dir: env.VILO_RECORDINGS_DIR || '.data/recordings',
      ffmpeg: env.VILO_FFMPEG || 'ffmpeg',
      segmentSeconds: intEnv(env, 'VILO_RECORDING_SEGMENT_SECONDS', 2) || 2,
      keyFrameIntervalMs: intEnv(env, 'VILO_RECORDING_KEYFRAME_MS', 2000) || 2000,
      settleMs: 500,
    },
  };
}

/** The control listener: where it binds, what else it answers to, and who may scrape it. */
export interface SfuControlConfig {
  host: string;
  port: number;
  /** Further control URLs callers may dial this node at (a proxy, a DNS name); it always answers to the one it binds. */
  urls: string[];
  /** Bearer token /metrics requires; unset leaves /metrics open (a dev machine). */
  metricsToken: string | undefined;
}

export function sfuControlConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SfuControlConfig {
  const urls = (env.VILO_SFU_CONTROL_URLS ?? '').split(',').map((u) => u.trim()).filter(Boolean);
  for (const url of urls) {
    if (!/^https?:\/\/[^\s/?#@]+\/?$/.test(url)) throw new Error(`VILO_SFU_CONTROL_URLS: "${url}" is not http://host:port`);
  }
  const metricsToken = env.VILO_METRICS_TOKEN || undefined;
  if (metricsToken !== undefined && metricsToken.length < 16) throw new Error('VILO_METRICS_TOKEN must be at least 16 characters');
  return {
    host: env.VILO_SFU_CONTROL_HOST || '127.0.0.1',
    port: intEnv(env, 'VILO_SFU_CONTROL_PORT', 7070),
    urls,
    metricsToken,
  };
}

/** VP8 first: browsers then default to it, and it carries simulcast everywhere. */
export const mediaCodecs: types.RouterRtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  {
    kind: 'video',
    mimeType: 'video/VP8',
    clockRate: 90000,
    parameters: { 'x-google-start-bitrate': 1000 },
  },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: {
      'packetization-mode': 1,
      'profile-level-id': '42e01f',
      'level-asymmetry-allowed': 1,
      'x-google-start-bitrate': 1000,
    },
  },
];
