// A fake-camera clip whose every frame carries its own index as large black/white blocks, so
// a page can read back which source frame a <video> is presenting, at any simulcast layer.
// Layout (in the 1280x720 source): a row of CELLS square cells starting at (X0, Y0):
// cell 0 is a black reference, cells 1..16 are the 16 code bits (MSB first), the last cell is
// a white reference. The 16 bits are a 12-bit frame index and a 4-bit check, so a frame
// caught mid-blend, or a smeared low layer, fails to decode instead of reading wrong.
import { closeSync, existsSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface CodeLayout {
  /** Source frame size; the code is read in these normalized coordinates at any layer size. */
  width: number;
  height: number;
  fps: number;
  /** Frames in the clip; Chromium loops it. */
  frames: number;
  cells: number;
  cell: number;
  x0: number;
  y0: number;
}

const WIDTH = 1280;
const HEIGHT = 720;
const CELL = 64;
const CELLS = 18;

export const LAYOUT: CodeLayout = {
  width: WIDTH,
  height: HEIGHT,
  fps: 30,
  frames: 300,
  cells: CELLS,
  cell: CELL,
  x0: (WIDTH - CELLS * CELL) / 2,
  y0: 32,
};

/** Bump when the picture changes, so a cached clip is regenerated. */
const VERSION = 1;

/** 4-bit check over a 12-bit index; inverted so an all-black (or all-white) row never validates. */
export function check4(n: number): number {
  return ~(n ^ (n >> 4) ^ (n >> 8)) & 0xf;
}

export function codeWord(index: number): number {
  return ((index & 0xfff) << 4) | check4(index & 0xfff);
}

const BLACK = 16;
const WHITE = 235;
const GREY = 128;

function renderFrame(f: number, L: CodeLayout, y: Buffer, u: Buffer, v: Buffer): void {
  const { width: W, height: H } = L;
  const cw = W / 2;
  y.fill(GREY);
  u.fill(128);
  v.fill(128);

  // Moving texture below a quiet grey band around the code row: a drifting sine plaid with
  // some colour, so the encoder sees ordinary inter frames with real motion.
  const top = L.y0 + L.cell + 32;
  const sx = new Float64Array(W);
  for (let x = 0; x < W; x++) sx[x] = Math.sin((x + 8 * f) / 40);
  for (let row = top; row < H; row++) {
    const cy = 55 * Math.cos((row - 5 * f) / 55);
    const base = row * W;
    for (let x = 0; x < W; x++) y[base + x] = (GREY + sx[x]! * cy) | 0;
  }
  for (let row = top >> 1; row < H / 2; row++) {
    const base = row * cw;
    const cv = 30 * Math.sin((row * 2 + 3 * f) / 70);
    for (let x = 0; x < cw; x++) {
      u[base + x] = (128 + 30 * sx[x * 2]!) | 0;
      v[base + x] = (128 + cv) | 0;
    }
  }

  // A bouncing checkerboard box.
  const box = 192;
  const tri = (t: number, span: number) => {
    const p = t % (2 * span);
    return p < span ? p : 2 * span - p;
  };
  const bx = tri(f * 11, W - box);
  const by = top + tri(f * 7, H - top - box);
  for (let row = 0; row < box; row++) {
    const base = (by + row) * W + bx;
    for (let x = 0; x < box; x++) y[base + x] = ((x >> 5) + (row >> 5)) & 1 ? WHITE : BLACK;
  }

  // The code row, luma only (chroma stays neutral under it).
  const word = codeWord(f);
  for (let c = 0; c < L.cells; c++) {
    let on: boolean;
    if (c === 0) on = false;
    else if (c === L.cells - 1) on = true;
    else on = ((word >> (16 - c)) & 1) === 1;
    const value = on ? WHITE : BLACK;
    for (let row = 0; row < L.cell; row++) {
      const start = (L.y0 + row) * W + L.x0 + c * L.cell;
      y.fill(value, start, start + L.cell);
    }
  }
}

export function cacheDir(): string {
  const base = process.env.VILO_CACHE ?? path.join(os.homedir(), '.cache', 'vilokanam');
  return path.join(base, 'bench');
}

/** The coded clip as y4m (generated once, then cached). Returns its path. */
export function ensureCodedY4m(L: CodeLayout = LAYOUT): { file: string; generatedMs: number | null } {
  const dir = cacheDir();
  const file = path.join(dir, `glass-v${VERSION}-${L.width}x${L.height}-${L.fps}fps-${L.frames}f.y4m`);
  if (existsSync(file)) return { file, generatedMs: null };
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, `YUV4MPEG2 W${L.width} H${L.height} F${L.fps}:1 Ip A1:1 C420jpeg\n`);
    const y = Buffer.alloc(L.width * L.height);
    const u = Buffer.alloc((L.width / 2) * (L.height / 2));
    const v = Buffer.alloc(u.length);
    const marker = Buffer.from('FRAME\n');
    for (let f = 0; f < L.frames; f++) {
      renderFrame(f, L, y, u, v);
      writeSync(fd, marker);
      writeSync(fd, y);
      writeSync(fd, u);
      writeSync(fd, v);
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  return { file, generatedMs: performance.now() - t0 };
}
