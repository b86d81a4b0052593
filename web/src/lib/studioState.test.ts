import { describe, expect, it } from 'vitest';
import type { PublisherSnapshot } from './Publisher.ts';
import { studioSentence, studioState } from './studioState.ts';

const snap = (patch: Partial<PublisherSnapshot>): PublisherSnapshot => ({
  connection: 'new',
  reconnecting: false,
  viewers: 0,
  error: null,
  ended: null,
  ...patch,
});

describe('studioState', () => {
  it('follows the creator intent before a publisher exists', () => {
    expect(studioState('idle', null)).toBe('idle');
    expect(studioState('starting', null)).toBe('connecting');
    expect(studioState('failed', null)).toBe('error');
    expect(studioState('stopped', null)).toBe('stopped');
    expect(studioState('publishing', null)).toBe('connecting');
  });

  it('is live only once the send transport is connected', () => {
    expect(studioState('publishing', snap({ connection: 'connecting' }))).toBe('connecting');
    expect(studioState('publishing', snap({ connection: 'new' }))).toBe('connecting');
    expect(studioState('publishing', snap({ connection: 'connected' }))).toBe('live');
  });

  it('reports reconnecting over any transport state while retrying', () => {
    expect(studioState('publishing', snap({ connection: 'connecting', reconnecting: true }))).toBe('reconnecting');
    expect(studioState('publishing', snap({ connection: 'disconnected', reconnecting: true }))).toBe('reconnecting');
  });

  it('maps how publishing ended', () => {
    expect(studioState('publishing', snap({ connection: 'closed', ended: 'fatal', error: 'x' }))).toBe('error');
    expect(studioState('publishing', snap({ connection: 'closed', ended: 'stream_ended' }))).toBe('stopped');
    expect(studioState('publishing', snap({ connection: 'closed', ended: 'stopped' }))).toBe('stopped');
    expect(studioState('publishing', snap({ connection: 'closed', ended: 'replaced', error: 'other tab' }))).toBe('stopped');
  });
});

describe('studioSentence', () => {
  it('appends the error detail only where it helps', () => {
    expect(studioSentence('error', 'Invalid stream key')).toBe('Something went wrong. Invalid stream key');
    expect(studioSentence('live', 'stale')).toBe('You are live.');
    expect(studioSentence('reconnecting', null)).toBe('Connection lost — reconnecting…');
    expect(studioSentence('stopped', 'Published elsewhere.')).toBe('The stream has ended. Published elsewhere.');
    expect(studioSentence('idle', 'stale')).toBe('You are offline.');
  });
});
