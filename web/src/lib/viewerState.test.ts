import { describe, expect, it } from 'vitest';
import { QUALITY_OPTIONS, initialViewerSnapshot, layerName, parseLayerChoice, viewerSentence } from './viewerState.ts';

describe('parseLayerChoice', () => {
  it('maps select values to protocol layer choices', () => {
    expect(parseLayerChoice('auto')).toBe('auto');
    expect(parseLayerChoice('0')).toBe(0);
    expect(parseLayerChoice('2')).toBe(2);
  });

  it('falls back to auto for anything unexpected', () => {
    expect(parseLayerChoice('3')).toBe('auto');
    expect(parseLayerChoice('')).toBe('auto');
    expect(parseLayerChoice('1.5')).toBe('auto');
  });

  it('round-trips every offered option', () => {
    for (const option of QUALITY_OPTIONS) expect(String(parseLayerChoice(option.value))).toBe(option.value);
    expect(QUALITY_OPTIONS.map((o) => o.value)).toEqual(['auto', '2', '1', '0']);
  });
});

describe('viewerSentence', () => {
  it('gives the documented sentences', () => {
    expect(viewerSentence('ended', null)).toBe('The stream has ended.');
    expect(viewerSentence('reconnecting', 'Connection lost')).toBe('Connection lost — reconnecting…');
  });

  it('surfaces waiting messages and error details', () => {
    expect(viewerSentence('connecting', 'Waiting for the stream to go live…')).toBe('Waiting for the stream to go live…');
    expect(viewerSentence('error', 'Stream not found')).toBe('Playback failed: Stream not found');
  });
});

describe('layerName / initial snapshot', () => {
  it('names layers by rank', () => {
    expect(layerName(0)).toBe('0 (Low)');
    expect(layerName(2)).toBe('2 (High)');
    expect(layerName(null)).toBe('—');
    expect(layerName(5)).toBe('5');
  });

  it('starts idle with the requested layer choice', () => {
    expect(initialViewerSnapshot(1)).toEqual({
      status: 'idle',
      message: null,
      viewers: null,
      layer: null,
      layerChoice: 1,
      media: null,
      pricePerSecond: null,
      remedy: null,
    });
  });
});
