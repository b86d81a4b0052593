import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { SEALED_SRTP_VERSION } from '@vilokanam/contracts/control';

const INFO = 'vilokanam:pipe-srtp';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Which end of a pipe the parameters describe: `local`, a node's own end (the answer to
 * createPipeTransport); `remote`, the peer's end it is told to connect to. Bound into the
 * seal, so one kind cannot be passed off as the other.
 */
export type PipeSealSide = 'local' | 'remote';

/** A sealed blob that does not open: another pipe, another side, another secret, or tampered. */
export class PipeSealRefused extends Error {}

/**
 * Pipe SRTP parameters as they cross the control channel: AES-256-GCM under a key derived
 * (HKDF-SHA256) from the control secret, a random 12-byte IV per seal, and the pipe's id and
 * side as additional data. Someone watching the channel sees no key, and a blob taken from
 * one pipe does not open for another.
 */
export class PipeSeal {
  readonly #key: Buffer;

  constructor(secret: Uint8Array) {
    this.#key = Buffer.from(hkdfSync('sha256', secret, new Uint8Array(0), INFO, 32));
  }

  seal(side: PipeSealSide, pipeTransportId: string, srtpParameters: unknown): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(side, pipeTransportId));
    const body = Buffer.concat([cipher.update(JSON.stringify(srtpParameters), 'utf8'), cipher.final()]);
    return [SEALED_SRTP_VERSION, iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  open(side: PipeSealSide, pipeTransportId: string, sealed: string): unknown {
    const [version, ...rest] = sealed.split('.');
    const [iv, body, tag] = rest.map((part) => Buffer.from(part, 'base64url'));
    if (version !== SEALED_SRTP_VERSION || rest.length !== 3 || iv!.length !== IV_BYTES || tag!.length !== TAG_BYTES) {
      throw new PipeSealRefused('sealed SRTP parameters are malformed');
    }
    const decipher = createDecipheriv('aes-256-gcm', this.#key, iv!, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(side, pipeTransportId));
    decipher.setAuthTag(tag!);
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(body!), decipher.final()]);
    } catch {
      throw new PipeSealRefused(`sealed SRTP parameters do not open for pipe ${pipeTransportId} (${side} end)`);
    }
    return JSON.parse(plain.toString('utf8')) as unknown;
  }
}

function aad(side: PipeSealSide, pipeTransportId: string): Buffer {
  return Buffer.from(`${INFO}\0${side}\0${pipeTransportId}`, 'utf8');
}
