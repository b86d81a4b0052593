// Maps what the studio knows (has the creator pressed Go live? what does the publisher
// report?) onto the six words the UI and tests rely on.
import type { PublisherSnapshot } from './Publisher.ts';

export type StudioState = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'stopped' | 'error';

/**
 * `phase` is the creator's intent: not started, going live (REST start in flight or
 * publishing), stopped by them, or failed before a publisher existed.
 */
export type StudioPhase = 'idle' | 'starting' | 'publishing' | 'stopped' | 'failed';

export function studioState(phase: StudioPhase, publisher: PublisherSnapshot | null): StudioState {
  switch (phase) {
    case 'idle':
      return 'idle';
    case 'stopped':
      return 'stopped';
    case 'failed':
      return 'error';
    case 'starting':
      return 'connecting';
    case 'publishing':
      if (!publisher) return 'connecting';
      if (publisher.ended === 'fatal') return 'error';
      if (publisher.ended) return 'stopped';
      if (publisher.reconnecting) return 'reconnecting';
      if (publisher.connection === 'connected') return 'live';
      return 'connecting';
  }
}

const SENTENCES: Record<StudioState, string> = {
  idle: 'You are offline.',
  connecting: 'Connecting to the server…',
  live: 'You are live.',
  reconnecting: 'Connection lost — reconnecting…',
  stopped: 'The stream has ended.',
  error: 'Something went wrong.',
};

export function studioSentence(state: StudioState, error: string | null): string {
  if (state !== 'live' && state !== 'idle' && error) return `${SENTENCES[state]} ${error}`;
  return SENTENCES[state];
}
