import sharp, { type Metadata, type Sharp } from 'sharp';
import { HttpError } from '@vilokanam/contracts/http';
import type { Queryable } from '@vilokanam/settlement/db';
import { storeImage } from './images.ts';
import { MAX_UPLOAD_BYTES } from './readUpload.ts';

/** Avatars are cropped to fill a square; emotes fit inside one, on a transparent ground. */
export type ImageKind = 'avatar' | 'emote';

export const AVATAR_SIZE = 256;
/** 4× the 28 px an emote is drawn at, so it stays sharp on dense screens. */
export const EMOTE_SIZE = 112;
/** No avatar or emote needs more; decoding more is how a small file exhausts memory. */
export const MAX_INPUT_PIXELS = 4096 * 4096;

const ACCEPTED_FORMATS = new Set<string>(['png', 'jpeg', 'webp', 'gif']);
const TRANSPARENT = { r: 0, g: 0, b: 0, alpha: 0 };

export interface ImageIngestOptions {
  /** Images decoded at once; each may hold MAX_INPUT_PIXELS × 4 bytes while it is. */
  concurrency?: number;
  /** Uploads allowed to wait for a turn before more are refused with 503. */
  queue?: number;
}

/**
 * Turns an untrusted upload into a small WebP of a fixed size and stores it. The bytes are
 * identified by decoding their header, never by the Content-Type or the file name; metadata
 * (EXIF, GPS, ICC comments) does not survive the re-encode.
 */
export class ImageIngest {
  readonly #db: Queryable;
  readonly #concurrency: number;
  readonly #queue: number;
  readonly #waiting: (() => void)[] = [];
  #running = 0;

  constructor(db: Queryable, opts: ImageIngestOptions = {}) {
    this.#db = db;
    this.#concurrency = opts.concurrency ?? 2;
    this.#queue = opts.queue ?? 16;
  }

  /** Checks, resizes and stores an upload; returns the stored image's key. */
  async ingest(upload: Buffer, kind: ImageKind): Promise<string> {
    const webp = await this.process(upload, kind);
    return storeImage(this.#db, webp, 'image/webp');
  }

  /** What ingest stores, without storing it. */
  async process(upload: Buffer, kind: ImageKind): Promise<Buffer> {
    if (upload.length > MAX_UPLOAD_BYTES) throw new HttpError(413, 'bad_request', `an image may be at most ${MAX_UPLOAD_BYTES / (1024 * 1024)} MB`);
    if (upload.length === 0) throw new HttpError(400, 'bad_request', 'the upload is empty');
    return this.#turn(async () => {
      checkDimensions(await identify(upload));
      try {
        return await encode(sharp(upload, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'warning', autoOrient: true, pages: 1 }), kind);
      } catch (err) {
        throw decodeFailure(err);
      }
    });
  }

  /** Renders an SVG the service itself wrote (the platform emotes); never for uploads. */
  async ingestTrustedSvg(svg: string, kind: ImageKind): Promise<string> {
    const webp = await encode(sharp(Buffer.from(svg), { density: 288 }), kind);
    return storeImage(this.#db, webp, 'image/webp');
  }

  /** Waits for a free decoder, or refuses when too many uploads are already waiting. */
  async #turn<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running < this.#concurrency) {
      this.#running++;
    } else {
      if (this.#waiting.length >= this.#queue) throw new HttpError(503, 'unavailable', 'too many images are being processed; try again shortly');
      // A finishing upload hands its slot straight to the waiter, so #running stays counted.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    try {
      return await work();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}

/** The header's claims, read without decoding pixels; anything sharp cannot name is refused. */
async function identify(upload: Buffer): Promise<Metadata> {
  let meta: Metadata;
  try {
    // Header only: the pixel limit is checked below, so a bomb is refused as too large, not unknown.
    meta = await sharp(upload, { limitInputPixels: false }).metadata();
  } catch {
    throw unsupported();
  }
  if (!ACCEPTED_FORMATS.has(meta.format)) throw unsupported();
  return meta;
}

function checkDimensions(meta: Metadata): void {
  const { width, height } = meta;
  if (!(width > 0 && height > 0)) throw new HttpError(400, 'bad_request', 'the image has no size');
  if (width * height > MAX_INPUT_PIXELS) throw tooManyPixels();
}

async function encode(image: Sharp, kind: ImageKind): Promise<Buffer> {
  if (kind === 'avatar') {
    return image.resize(AVATAR_SIZE, AVATAR_SIZE, { fit: 'cover' }).webp({ quality: 82 }).toBuffer();
  }
  return image
    .ensureAlpha()
    .resize(EMOTE_SIZE, EMOTE_SIZE, { fit: 'contain', background: TRANSPARENT })
    .webp({ quality: 90, alphaQuality: 100 })
    .toBuffer();
}

/** sharp throws plain Errors; the pixel limit is the one worth telling apart. */
function decodeFailure(err: unknown): HttpError {
  const message = err instanceof Error ? err.message : '';
  if (/pixel limit/i.test(message)) return tooManyPixels();
  return new HttpError(400, 'bad_request', 'the image could not be decoded');
}

function unsupported(): HttpError {
  return new HttpError(415, 'bad_request', 'images must be PNG, JPEG, WebP or GIF');
}

function tooManyPixels(): HttpError {
  return new HttpError(413, 'bad_request', 'an image may have at most 4096×4096 pixels');
}
