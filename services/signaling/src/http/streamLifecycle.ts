import type { StreamRecord, StreamStore } from '../StreamStore.ts';
import type { StreamHub } from '../ws/StreamHub.ts';
import { HttpError } from './errors.ts';

export interface LifecycleDeps {
  store: StreamStore;
  hub: StreamHub;
  /** Streams one account may have created and not ended. */
  streamsPerAccount: number;
}

/** Takes a stream live, from the studio's Start or a WHIP publisher's first POST. */
export async function startStream(d: LifecycleDeps, stream: StreamRecord): Promise<StreamRecord> {
  // Restarting an ended stream reopens it: it counts against its creator's open streams again.
  if (stream.status === 'ended' && stream.creatorId && (await d.store.openCount(stream.creatorId)) >= d.streamsPerAccount) {
    throw tooManyStreams(d.streamsPerAccount);
  }
  await d.hub.streamStarting(stream);
  const live = (await d.store.markLive(stream.id))!;
  d.hub.streamStarted(live.id);
  return live;
}

/** Ends a stream for good, from the studio's Stop or a WHIP publisher's DELETE. */
export async function stopStream(d: LifecycleDeps, stream: StreamRecord): Promise<StreamRecord> {
  const ended = (await d.store.markEnded(stream.id))!;
  d.hub.streamEnded(ended.id, 'stopped');
  return ended;
}

export function tooManyStreams(max: number): HttpError {
  return new HttpError(429, 'rate_limited', `at most ${max} streams may be open at once: end one first`);
}
