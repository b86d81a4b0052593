import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PendingRequests } from './PendingRequests.ts';

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('PendingRequests', () => {
  it('numbers requests from 1 and settles each by the id its reply echoes', async () => {
    const pending = new PendingRequests(1_000);
    const sent: number[] = [];
    const a = pending.send<string>((id) => sent.push(id), () => new Error('timeout'));
    const b = pending.send<string>((id) => sent.push(id), () => new Error('timeout'));
    expect(sent).toEqual([1, 2]);
    pending.reject(2, new Error('refused'));
    pending.resolve(1, 'one');
    await expect(a).resolves.toBe('one');
    await expect(b).rejects.toThrow('refused');
  });

  it('times a request out with its own error and drops a late reply', async () => {
    const pending = new PendingRequests(1_000);
    const a = pending.send(() => {}, () => new Error('a timed out'));
    vi.advanceTimersByTime(999);
    pending.resolve(99, 'nobody asked');
    vi.advanceTimersByTime(1);
    await expect(a).rejects.toThrow('a timed out');
    pending.resolve(1, 'too late');
  });

  it('fails everything still waiting, each with a fresh error, and forgets it', async () => {
    const pending = new PendingRequests(1_000);
    const a = pending.send(() => {}, () => new Error('timeout')).catch((e: unknown) => e);
    const b = pending.send(() => {}, () => new Error('timeout')).catch((e: unknown) => e);
    pending.failAll(() => new Error('closed'));
    const [ea, eb] = await Promise.all([a, b]);
    expect(ea).toMatchObject({ message: 'closed' });
    expect(eb).toMatchObject({ message: 'closed' });
    expect(ea).not.toBe(eb);
    // No timer is left to fire a second rejection.
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects when the socket refuses to send', async () => {
    const pending = new PendingRequests(1_000);
    const a = pending.send(() => {
      throw new Error('socket gone');
    }, () => new Error('timeout'));
    await expect(a).rejects.toThrow('socket gone');
  });
});
