import { describe, expect, it } from 'vitest';
import { WhipResources, type WhipResource } from './WhipResources.ts';

/** A session as the resources see it: an id, a closed flag and the close hook. */
function session(id: string) {
  const s = { id, closed: false, streamId: 's', onClose: undefined as (() => void) | undefined, close() { s.closed = true; s.onClose?.(); } };
  return s;
}
const open = (s: ReturnType<typeof session>) => async () => ({ session: s as unknown as WhipResource['session'], answer: 'v=0' });

describe('WhipResources', () => {
  it('bounds live sessions per address, counting before the open resolves', async () => {
    const r = new WhipResources(2);
    let release!: () => void;
    const slow = new Promise<void>((res) => (release = res));
    const a = r.add('1.1.1.1', 'whip', undefined, async () => { await slow; return open(session('a'))(); });
    const b = r.add('1.1.1.1', 'whep', undefined, open(session('b')));
    await expect(r.add('1.1.1.1', 'whep', undefined, open(session('c')))).rejects.toMatchObject({ status: 429 });
    await expect(r.add('2.2.2.2', 'whep', undefined, open(session('d')))).resolves.toMatchObject({ id: 'd' });
    release();
    await Promise.all([a, b]);
    expect(r.size).toBe(3);
  });

  it('frees the slot of a session that failed to open', async () => {
    const r = new WhipResources(1);
    await expect(r.add('1.1.1.1', 'whip', undefined, async () => { throw new Error('no node'); })).rejects.toThrow('no node');
    await expect(r.add('1.1.1.1', 'whip', undefined, open(session('a')))).resolves.toMatchObject({ id: 'a' });
  });

  it('keeps an ended session answerable for the DELETE that follows, and frees its slot', async () => {
    const r = new WhipResources(1);
    const s = session('a');
    await r.add('1.1.1.1', 'whip', 'u1', open(s));
    expect(r.get('a')?.remoteUfrag).toBe('u1');
    s.close();
    expect(r.get('a')).toBeUndefined();
    expect(r.ended('a')?.session).toBe(s);
    expect(r.ended('b')).toBeUndefined();
    await expect(r.add('1.1.1.1', 'whip', undefined, open(session('b')))).resolves.toMatchObject({ id: 'b' });
  });

  it('drops a session that closed while it was being answered', async () => {
    const r = new WhipResources(1);
    const s = session('a');
    s.closed = true;
    await r.add('1.1.1.1', 'whip', undefined, open(s));
    expect(r.get('a')).toBeUndefined();
    expect(r.size).toBe(0);
  });
});
