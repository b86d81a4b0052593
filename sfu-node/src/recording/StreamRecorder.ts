import path from 'node:path';
import type { Logger } from 'pino';
import type { types } from 'mediasoup';
import { RecordingPart, type RecordingPartOptions } from './RecordingPart.ts';
import { recordable } from './recorderSdp.ts';
import type { RecordingSummary } from '@vilokanam/contracts/control';

export interface RecorderOptions extends Omit<RecordingPartOptions, 'dir'> {
  /** Where recordings are written: `<dir>/<recordingId>/<part>/`. */
  dir: string;
  /** How long producer changes settle before a part starts (the studio adds audio, then video). */
  settleMs: number;
}


/**
 * Records one stream on its origin for as long as it is live. Each unbroken run of the
 * publisher's producers is one part; a publisher that drops and comes back starts another,
 * and the recording goes on.
 */
export class StreamRecorder {
  readonly recordingId: string;
  readonly #router: types.Router;
  readonly #producers: () => types.Producer[];
  readonly #opts: RecordingPartOptions & { settleMs: number };
  readonly #log: Logger;
  readonly #parts: string[] = [];
  readonly #skipped = new Set<string>();
  #part: RecordingPart | undefined;
  #queue: Promise<void> = Promise.resolve();
  #settle: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(recordingId: string, router: types.Router, producers: () => types.Producer[], opts: RecorderOptions, log: Logger) {
    this.recordingId = recordingId;
    this.#router = router;
    this.#producers = producers;
    this.#opts = { ...opts, dir: path.join(opts.dir, recordingId) };
    this.#log = log.child({ recordingId });
    this.producersChanged();
  }

  get part(): RecordingPart | undefined {
    return this.#part;
  }

  /** A producer came or went: after things settle, the part follows the producers. */
  producersChanged(): void {
    if (this.#stopped) return;
    clearTimeout(this.#settle);
    this.#settle = setTimeout(() => this.#enqueue(() => this.#follow()), this.#opts.settleMs).unref();
  }

  async stop(): Promise<RecordingSummary> {
    this.#stopped = true;
    clearTimeout(this.#settle);
    await this.#enqueue(() => this.#endPart());
    return { recordingId: this.recordingId, parts: [...this.#parts], skipped: [...this.#skipped] };
  }

  #enqueue(work: () => Promise<void>): Promise<void> {
    this.#queue = this.#queue.then(work).catch((err: unknown) => this.#log.error({ err }, 'recording step failed'));
    return this.#queue;
  }

  async #follow(): Promise<void> {
    if (this.#stopped) return;
    const live = this.#producers().filter((p) => !p.closed && !p.paused);
    const usable = live.filter((p) => {
      const mime = p.rtpParameters.codecs[0]?.mimeType ?? '';
      if (recordable(mime)) return true;
      if (!this.#skipped.has(mime)) this.#log.warn({ mimeType: mime }, 'codec cannot be recorded without transcoding');
      this.#skipped.add(mime);
      return false;
    });
    const ids = usable.map((p) => p.id).sort().join();
    if (this.#part && this.#part.producerIds.sort().join() === ids) return;
    await this.#endPart();
    if (usable.length === 0) return;
    this.#part = await RecordingPart.start(this.#router, usable, this.#opts, this.#log);
    this.#parts.push(this.#part.name);
    this.#log.info({ part: this.#part.name, tracks: usable.map((p) => p.kind) }, 'recording part started');
  }

  async #endPart(): Promise<void> {
    const part = this.#part;
    this.#part = undefined;
    if (part) await part.stop();
  }
}
