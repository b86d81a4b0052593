// The VOD's HLS playlist, joined from the recording's parts: each part is one unbroken run of
// the publisher, with its own init segment, so a gap between parts is an EXT-X-DISCONTINUITY
// (and a new EXT-X-MAP), never a broken file.

export interface PartSegment {
  /** Path relative to the recording: `<part>/<file>`. */
  uri: string;
  seconds: number;
}

export interface RecordedPart {
  name: string;
  init: string;
  segments: PartSegment[];
}

const PART = /^part-[0-9a-z]{1,16}$/;
const FILE = /^[A-Za-z0-9_-]{1,64}\.(m4s|mp4)$/;

/**
 * Reads a part's media playlist as ffmpeg wrote it, live or finished. Only plain file names
 * of the part are accepted: a playlist is data on disk, not a way to name other files.
 */
export function parsePartPlaylist(name: string, text: string): RecordedPart {
  if (!PART.test(name)) throw new Error(`not a part name: ${name}`);
  let init: string | undefined;
  let seconds: number | undefined;
  const segments: PartSegment[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const map = /^#EXT-X-MAP:URI="([^"]+)"/.exec(line);
    if (map) {
      if (!FILE.test(map[1]!)) throw new Error(`unexpected init segment ${map[1]}`);
      init = `${name}/${map[1]}`;
    } else if (line.startsWith('#EXTINF:')) {
      seconds = Number.parseFloat(line.slice('#EXTINF:'.length));
    } else if (line && !line.startsWith('#')) {
      if (!FILE.test(line) || seconds === undefined || !Number.isFinite(seconds)) throw new Error(`unexpected segment line ${line}`);
      segments.push({ uri: `${name}/${line}`, seconds });
      seconds = undefined;
    }
  }
  if (!init) throw new Error(`part ${name} has no init segment`);
  return { name, init, segments };
}

/** Parts in the order they were recorded: their names carry their start time in base 36. */
export function orderParts(names: string[]): string[] {
  const stamp = (n: string) => Number.parseInt(n.slice('part-'.length), 36);
  return names.filter((n) => PART.test(n)).sort((a, b) => stamp(a) - stamp(b));
}

export function totalSeconds(parts: RecordedPart[]): number {
  return parts.reduce((sum, p) => sum + p.segments.reduce((s, seg) => s + seg.seconds, 0), 0);
}

/** The VOD playlist (`ended`) or, while recording, an event playlist of what exists so far. */
export function vodPlaylist(parts: RecordedPart[], ended: boolean): string {
  const withMedia = parts.filter((p) => p.segments.length > 0);
  const longest = Math.max(1, ...withMedia.flatMap((p) => p.segments.map((s) => s.seconds)));
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    `#EXT-X-TARGETDURATION:${Math.ceil(longest)}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    `#EXT-X-PLAYLIST-TYPE:${ended ? 'VOD' : 'EVENT'}`,
    '#EXT-X-INDEPENDENT-SEGMENTS',
  ];
  withMedia.forEach((part, i) => {
    if (i > 0) lines.push('#EXT-X-DISCONTINUITY');
    lines.push(`#EXT-X-MAP:URI="${part.init}"`);
    for (const seg of part.segments) lines.push(`#EXTINF:${seg.seconds.toFixed(6)},`, seg.uri);
  });
  if (ended) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

export interface ClipSource {
  part: RecordedPart;
  /** The part's segments that hold the range; the first starts on a keyframe. */
  segments: PartSegment[];
  /** Where the range starts in the recording and in the first chosen segment, and how long it is. */
  startS: number;
  offsetS: number;
  lengthS: number;
}

/**
 * What a clip of [startS, endS) of the recording is cut from. A clip never spans a gap: it
 * stays in the part that holds most of the range (the later one on a tie, so "the last 30 s"
 * ends at the end), clamped to that part.
 */
export function clipSource(parts: RecordedPart[], startS: number, endS: number): ClipSource | undefined {
  let at = 0;
  const spans = parts.map((part) => {
    const from = at;
    at += part.segments.reduce((s, seg) => s + seg.seconds, 0);
    return { part, from, to: at };
  });
  const overlap = (s: { from: number; to: number }) => Math.min(endS, s.to) - Math.max(startS, s.from);
  let span: (typeof spans)[number] | undefined;
  for (const s of spans) if (overlap(s) > 0 && (!span || overlap(s) >= overlap(span))) span = s;
  if (!span) return undefined;
  const from = Math.max(startS, span.from);
  const to = Math.min(endS, span.to);
  if (to <= from) return undefined;
  const segments: PartSegment[] = [];
  let offsetS = 0;
  let t = span.from;
  for (const seg of span.part.segments) {
    const end = t + seg.seconds;
    if (end > from && t < to) {
      if (segments.length === 0) offsetS = from - t;
      segments.push(seg);
    }
    t = end;
  }
  return { part: span.part, segments, startS: from, offsetS, lengthS: to - from };
}
