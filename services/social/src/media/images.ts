import { createHash } from 'node:crypto';
import type { Queryable } from '@vilokanam/settlement/db';

/** Where the API serves an image; relative, because the web app and the API share an origin. */
export const IMAGE_PATH = '/api/v1/images/';
export const IMAGE_KEY = /^[0-9a-f]{64}$/;

export type ImageContentType = 'image/webp' | 'image/png' | 'image/jpeg' | 'image/gif';

export interface StoredImage {
  key: string;
  contentType: ImageContentType;
  bytes: Buffer;
}

export function imageUrl(key: string): string {
  return IMAGE_PATH + key;
}

/**
 * Stores processed bytes under their SHA-256 and returns the key. Storing bytes that already
 * exist refreshes their created_at, which is what protects them from a concurrent sweep.
 */
export async function storeImage(db: Queryable, bytes: Buffer, contentType: ImageContentType): Promise<string> {
  const key = createHash('sha256').update(bytes).digest('hex');
  await db.query(
    `INSERT INTO images (key, content_type, bytes) VALUES ($1, $2, $3)
     ON CONFLICT (key) DO UPDATE SET created_at = now()`,
    [key, contentType, bytes],
  );
  return key;
}

export async function loadImage(db: Queryable, key: string): Promise<StoredImage | undefined> {
  if (!IMAGE_KEY.test(key)) return undefined;
  const rows = await db.query<{ content_type: ImageContentType; bytes: Uint8Array }>('SELECT content_type, bytes FROM images WHERE key = $1', [key]);
  const row = rows[0];
  if (!row) return undefined;
  // pg hands bytea back as a Buffer, PGlite as a plain Uint8Array.
  const bytes = Buffer.isBuffer(row.bytes) ? row.bytes : Buffer.from(row.bytes.buffer, row.bytes.byteOffset, row.bytes.byteLength);
  return { key, contentType: row.content_type, bytes };
}

/**
 * Deletes images no avatar or emote refers to and that nothing stored for `graceSeconds`: a
 * replaced avatar or a deleted emote leaves its image behind until then. Returns how many went.
 */
export async function sweepUnusedImages(db: Queryable, graceSeconds = 24 * 3600): Promise<number> {
  const rows = await db.query<{ key: string }>(
    `DELETE FROM images i
      WHERE i.created_at < now() - make_interval(secs => $1)
        AND NOT EXISTS (SELECT 1 FROM profiles p WHERE p.avatar = i.key)
        AND NOT EXISTS (SELECT 1 FROM emotes e WHERE e.image = i.key)
      RETURNING i.key`,
    [graceSeconds],
  );
  return rows.length;
}
