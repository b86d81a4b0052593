import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { assertKey, type RecordingStorage } from './RecordingStorage.ts';

/** Recordings on a local disk or a mounted volume: the recorder writes into the same root. */
export class LocalDiskStorage implements RecordingStorage {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  #path(key: string): string {
    return path.join(this.root, assertKey(key));
  }

  async list(prefix: string): Promise<string[]> {
    try {
      return await readdir(this.#path(prefix));
    } catch {
      return [];
    }
  }

  async readText(key: string): Promise<string | undefined> {
    try {
      return await readFile(this.#path(key), 'utf8');
    } catch {
      return undefined;
    }
  }

  async size(key: string): Promise<number | undefined> {
    try {
      const s = await stat(this.#path(key));
      return s.isFile() ? s.size : undefined;
    } catch {
      return undefined;
    }
  }

  async open(key: string, range?: { start: number; end: number }) {
    const size = await this.size(key);
    if (size === undefined) return undefined;
    return { body: createReadStream(this.#path(key), range), size };
  }

  async write(key: string, data: string | Uint8Array): Promise<void> {
    const file = this.#path(key);
    await mkdir(path.dirname(file), { recursive: true });
    // Readers never see half a playlist: write aside, then rename over.
    await writeFile(`${file}.tmp`, data);
    await rename(`${file}.tmp`, file);
  }

  async putFile(key: string, localPath: string): Promise<void> {
    const file = this.#path(key);
    await mkdir(path.dirname(file), { recursive: true });
    try {
      await rename(localPath, file);
    } catch {
      await copyFile(localPath, file);
      await unlink(localPath);
    }
  }

  async localPath(key: string): Promise<string> {
    return this.#path(key);
  }

  async remove(prefix: string): Promise<void> {
    await rm(this.#path(prefix), { recursive: true, force: true });
  }
}
