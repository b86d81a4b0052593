import type { Logger } from 'pino';
import type { StreamRouter } from '../StreamRouter.ts';
import type { RecordingSummary } from '@vilokanam/contracts/control';
import { StreamRecorder, type RecorderOptions } from './StreamRecorder.ts';

/** The recordings running on one node, one per stream at most. */
export class NodeRecorders {
  readonly #byStream = new Map<string, StreamRecorder>();
  readonly #opts: RecorderOptions;
  readonly #log: Logger;

  constructor(opts: RecorderOptions, log: Logger) {
    this.#opts = opts;
    this.#log = log.child({ component: 'recorder' });
  }

  /** Starts recording `stream` into `recordingId`; asking again for the same one is a no-op. */
  start(stream: StreamRouter, recordingId: string): void {
    const current = this.#byStream.get(stream.streamId);
    if (current?.recordingId === recordingId) return;
    if (current) void this.stop(stream.streamId);
    const recorder = new StreamRecorder(recordingId, stream.router, () => [...stream.producers.values()], this.#opts, this.#log.child({ streamId: stream.streamId }));
    this.#byStream.set(stream.streamId, recorder);
  }

  async stop(streamId: string): Promise<RecordingSummary | undefined> {
    const recorder = this.#byStream.get(streamId);
    if (!recorder) return undefined;
    this.#byStream.delete(streamId);
    return recorder.stop();
  }

  producersChanged(streamId: string): void {
    this.#byStream.get(streamId)?.producersChanged();
  }

  /** ffmpeg pids of the parts being written, for CPU accounting. */
  pids(): number[] {
    return [...this.#byStream.values()].flatMap((r) => (r.part?.pid ? [r.part.pid] : []));
  }

  get size(): number {
    return this.#byStream.size;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#byStream.keys()].map((id) => this.stop(id)));
  }
}
