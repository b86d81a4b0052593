// Maps what the studio knows (has the creator pressed Go live? what does the publisher
// report?) onto the six words the UI and tests rely on.
import { t } from './i18n/index.ts';
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

/** Message ids of the sentences, looked up when a sentence is asked for. */
const SENTENCES: Record<StudioState, string> = {
  idle: 'studioState.idle',
  connecting: 'studioState.connecting',
  live: 'studioState.live',
  reconnecting: 'studioState.reconnecting',
  stopped: 'studioState.stopped',
  error: 'studioState.error',
};

export function studioSentence(state: StudioState, error: string | null): string {
  if (state !== 'live' && state !== 'idle' && error) return t('studioState.withDetail', { sentence: t(SENTENCES[state]), detail: error });
  return t(SENTENCES[state]);
}
