import type { Readable } from 'node:stream';

/**
 * Where recordings, VODs and clips live, by key (`<recording id>/<part>/seg00001.m4s`,
 * `clips/<id>.mp4`). The recorder on the origin writes a recording's parts under
 * `<recording id>/`; everything after that (the VOD playlist, thumbnails, clips, serving,
 * deleting) goes through this interface. Local disk implements it in embedded mode and on a
 * PersistentVolume in a cluster; docs/recording.md says what an S3 backend must do.
 */
export interface RecordingStorage {
  /** Names directly under `prefix` (files and folders), or none. */
  list(prefix: string): Promise<string[]>;
  readText(key: string): Promise<string | undefined>;
  /** For serving: the bytes from `start` to `end` inclusive (all when omitted) and the size. */
  open(key: string, range?: { start: number; end: number }): Promise<{ body: Readable; size: number } | undefined>;
  size(key: string): Promise<number | undefined>;
  write(key: string, data: string | Uint8Array): Promise<void>;
  /** Moves a finished local file (an ffmpeg output) in under `key`. */
  putFile(key: string, localPath: string): Promise<void>;
  /** A local file holding `key`'s bytes, for ffmpeg to read. */
  localPath(key: string): Promise<string>;
  /** Removes `prefix` and everything under it. */
  remove(prefix: string): Promise<void>;
}

const KEY = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*(\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$/;

/** Keys are relative, slash-separated, and never step outside the store. */
export function assertKey(key: string): string {
  if (!KEY.test(key) || key.length > 512 || key.split('/').some((s) => s === '..' || s === '.')) throw new Error(`bad storage key: ${key}`);
  return key;
}
