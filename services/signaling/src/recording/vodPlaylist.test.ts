import { describe, expect, it } from 'vitest';
import { clipSource, orderParts, parsePartPlaylist, totalSeconds, vodPlaylist, type RecordedPart } from './vodPlaylist.ts';

const ffmpegPlaylist = (n: number, ended = true) => [
  '#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-TARGETDURATION:4', '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:EVENT',
  '#EXT-X-INDEPENDENT-SEGMENTS', '#EXT-X-MAP:URI="init.mp4"',
  ...Array.from({ length: n }, (_, i) => [`#EXTINF:2.000000,`, `seg${String(i).padStart(5, '0')}.m4s`]).flat(),
  ...(ended ? ['#EXT-X-ENDLIST'] : []), '',
].join('\n');

const part = (name: string, n: number): RecordedPart => parsePartPlaylist(name, ffmpegPlaylist(n));

describe('the VOD playlist', () => {
  it('reads ffmpeg\'s part playlists, finished or still being written', () => {
    const p = parsePartPlaylist('part-abc', ffmpegPlaylist(3, false));
    expect(p.init).toBe('part-abc/init.mp4');
    expect(p.segments).toEqual([0, 1, 2].map((i) => ({ uri: `part-abc/seg0000${i}.m4s`, seconds: 2 })));
  });

  it('refuses names that would reach outside the part', () => {
    expect(() => parsePartPlaylist('../etc', ffmpegPlaylist(1))).toThrow('not a part name');
    expect(() => parsePartPlaylist('part-a', ffmpegPlaylist(1).replace('seg00000.m4s', '../../secret.m4s'))).toThrow('unexpected segment');
    expect(() => parsePartPlaylist('part-a', ffmpegPlaylist(1).replace('init.mp4', '/etc/passwd'))).toThrow('unexpected init');
    expect(() => parsePartPlaylist('part-a', '#EXTM3U\n')).toThrow('no init segment');
  });

  it('orders parts by the time in their names, and ignores anything else', () => {
    const names = [(40_000).toString(36), (3_000).toString(36), (100_000).toString(36)].map((t) => `part-${t}`);
    expect(orderParts([...names, 'thumb.jpg', 'part-'])).toEqual([names[1], names[0], names[2]]);
  });

  it('joins parts with a discontinuity and a new init segment, and ends a VOD', () => {
    const parts = [part('part-a', 2), part('part-b', 1)];
    const text = vodPlaylist(parts, true);
    expect(text.split('\n')).toEqual([
      '#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-TARGETDURATION:2', '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:VOD', '#EXT-X-INDEPENDENT-SEGMENTS',
      '#EXT-X-MAP:URI="part-a/init.mp4"', '#EXTINF:2.000000,', 'part-a/seg00000.m4s', '#EXTINF:2.000000,', 'part-a/seg00001.m4s',
      '#EXT-X-DISCONTINUITY', '#EXT-X-MAP:URI="part-b/init.mp4"', '#EXTINF:2.000000,', 'part-b/seg00000.m4s',
      '#EXT-X-ENDLIST', '',
    ]);
    expect(totalSeconds(parts)).toBe(6);
    expect(vodPlaylist(parts, false)).not.toContain('ENDLIST');
    // A part that never got a segment (the publisher dropped at once) leaves no trace.
    expect(vodPlaylist([part('part-a', 1), part('part-b', 0)], true)).not.toContain('DISCONTINUITY');
  });

  it('cuts a clip from the segments that hold it, in the part that holds most of it', () => {
    const parts = [part('part-a', 5), part('part-b', 5)]; // 0–10 s and 10–20 s
    expect(clipSource(parts, 3, 7)).toMatchObject({ part: { name: 'part-a' }, startS: 3, offsetS: 1, lengthS: 4 });
    expect(clipSource(parts, 3, 7)!.segments.map((s) => s.uri)).toEqual(['part-a/seg00001.m4s', 'part-a/seg00002.m4s', 'part-a/seg00003.m4s']);
    // Across the gap: the part with most of it, clamped to that part.
    expect(clipSource(parts, 9, 15)).toMatchObject({ part: { name: 'part-b' }, startS: 10, offsetS: 0, lengthS: 5 });
    // The last 30 s of a 20 s recording: all of the last part.
    expect(clipSource(parts, -10, 20)).toMatchObject({ part: { name: 'part-b' }, lengthS: 10 });
    expect(clipSource(parts, 25, 30)).toBeUndefined();
    expect(clipSource([], 0, 10)).toBeUndefined();
  });
});
