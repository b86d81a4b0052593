import type { IncomingMessage } from 'node:http';
import type { Context } from 'koa';
import { HttpError } from '@vilokanam/contracts/http';

/** The largest upload any image route reads: anything bigger is refused before it is decoded. */
export const MAX_UPLOAD_BYTES = 2 * 1024 * 1024;

/**
 * Reads a raw image upload, refusing it as soon as it passes `limit` bytes: the declared
 * Content-Length is checked first, then the bytes actually received, since a client may lie or
 * send chunked. The Content-Type is only a gate (the bytes are identified by decoding them);
 * it must not be a type the host's body parser would already have consumed.
 */
export async function readUpload(ctx: Context, limit = MAX_UPLOAD_BYTES): Promise<Buffer> {
  const type = (ctx.get('content-type').split(';')[0] ?? '').trim().toLowerCase();
  if (!type.startsWith('image/') && type !== 'application/octet-stream') {
    throw new HttpError(415, 'bad_request', 'send the image itself as the body, with an image/* Content-Type');
  }
  const declared = Number(ctx.get('content-length') || NaN);
  if (declared > limit) throw tooLarge(ctx, limit);
  const body = await collect(ctx.req, limit);
  if (body === undefined) throw tooLarge(ctx, limit);
  if (body.length === 0) throw new HttpError(400, 'bad_request', 'the upload is empty');
  return body;
}

/**
 * The body's bytes, or undefined once it passes `limit`. Listeners rather than `for await`:
 * leaving an async iterator early destroys the request, and with it the socket the 413 must
 * still be written to.
 */
function collect(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const done = (out: Buffer | undefined, err?: Error): void => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('aborted', onAborted);
      if (err) reject(err);
      else resolve(out);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > limit) {
        // Stop buffering; the connection closes after the 413 (see tooLarge).
        req.pause();
        done(undefined);
      } else chunks.push(chunk);
    };
    const onEnd = (): void => done(Buffer.concat(chunks, received));
    const onError = (err: Error): void => done(undefined, err);
    const onAborted = (): void => done(undefined, new HttpError(400, 'bad_request', 'the upload was cut off'));
    req.on('data', onData).on('end', onEnd).on('error', onError).on('aborted', onAborted);
  });
}

function tooLarge(ctx: Context, limit: number): HttpError {
  // The rest of the body is never read, so the connection cannot carry another request.
  ctx.set('Connection', 'close');
  return new HttpError(413, 'bad_request', `an image may be at most ${Math.floor(limit / (1024 * 1024))} MB`);
}
