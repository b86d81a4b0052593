// The pure parts of following the operator: category names the CRD accepts, and which
// routes StreamRoutes may act on. The whole path runs against a real apiserver in
// web/e2e/kubernetes.test.ts.
import { describe, expect, it } from 'vitest';
import type { StreamRoute } from '@vilokanam/operator/api';
import { categorySlug, placedRoute } from './OperatorRoutes.ts';

const node = (pod: string) => ({ pod, node: `host-${pod}`, address: '10.0.0.1', controlUrl: 'http://10.0.0.1:7070' });
const route = (phase: string): StreamRoute => ({
  v: 1,
  streamId: 's',
  namespace: 'ns',
  generation: 1,
  phase,
  origin: node('o'),
  edges: [{ ...node('e1'), parent: 'o', draining: false }, { ...node('e2'), parent: 'e1', draining: true }],
  policy: { viewersPerEdge: 50, maxViewers: 900 },
  ingest: 'webrtc',
  simulcast: [],
  pricePerSecond: '0',
  updatedAt: 1,
});

describe('categorySlug', () => {
  it('folds free text into a DNS label the CRD accepts', () => {
    expect(categorySlug('Just Chatting')).toBe('just-chatting');
    expect(categorySlug('Science & Tech')).toBe('science-tech');
    expect(categorySlug('  --Música!! ')).toBe('m-sica');
    expect(categorySlug('日本語')).toBe('other');
    const long = categorySlug(`${'a'.repeat(62)}-b`);
    expect(long).toMatch(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
    expect(long.length).toBeLessThanOrEqual(63);
  });
});

describe('placedRoute', () => {
  it('maps a Live route to pods, parents, draining flags and the policy', () => {
    expect(placedRoute(route('Live'))).toEqual({
      origin: 'o',
      edges: [
        { nodeId: 'e1', parent: 'o', draining: false },
        { nodeId: 'e2', parent: 'e1', draining: true },
      ],
      viewersPerEdge: 50,
      maxViewers: 900,
    });
  });

  it('gives nothing to act on while the stream is not Live', () => {
    for (const phase of ['Pending', 'Scheduling', 'Draining', 'Ended', 'Failed']) expect(placedRoute(route(phase))).toBeUndefined();
  });
});
