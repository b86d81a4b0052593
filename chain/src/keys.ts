import { readFileSync, statSync } from 'node:fs';
import { inspect } from 'node:util';
import { Keyring } from '@polkadot/keyring';
import type { KeyringPair } from '@polkadot/keyring/types';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import { zodMessage } from '@vilokanam/contracts/errors';

/** The public Substrate development phrase; every //Alice-style key derives from it. */
const DEV_PHRASE = 'bottom drive obey lake curtain smoke basket hold race lonely fit walk';

/**
 * Holds a secret so that it cannot leak by accident: JSON.stringify, pino, util.inspect,
 * template strings and console.log all see "[redacted]". Only `reveal()` returns it.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toJSON(): string {
    return '[redacted]';
  }

  toString(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return '[redacted]';
  }
}

const Env = z.object({
  VILO_CHAIN_SIGNER_URI: z.string().min(1).optional(),
  VILO_CHAIN_SIGNER_FILE: z.string().min(1).optional(),
  VILO_CHAIN_SIGNER_TYPE: z.enum(['sr25519', 'ed25519']).default('sr25519'),
  /** Must be set for //Alice-style URIs; keeps a dev key from reaching production by default. */
  VILO_CHAIN_ALLOW_DEV_SIGNER: z.enum(['true', 'false', '1', '0']).default('false'),
});

export interface SignerConfig {
  /** Where the secret came from: `env` or the file path. Safe to log. */
  source: string;
  secret: Secret;
  type: 'sr25519' | 'ed25519';
  allowDevUri: boolean;
}

/**
 * Reads the payout signer from VILO_CHAIN_SIGNER_URI (a mnemonic or a secret URI) or
 * VILO_CHAIN_SIGNER_FILE (a file holding one, e.g. a mounted Kubernetes secret).
 * There is deliberately no default.
 */
export function signerConfigFromEnv(env: NodeJS.ProcessEnv = process.env, log?: Logger): SignerConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    // Issue messages name the variable, never its value.
    const detail = zodMessage(parsed.error);
    throw new Error(`invalid signer configuration: ${detail}`);
  }
  const e = parsed.data;
  if (e.VILO_CHAIN_SIGNER_URI && e.VILO_CHAIN_SIGNER_FILE) {
    throw new Error('set only one of VILO_CHAIN_SIGNER_URI and VILO_CHAIN_SIGNER_FILE');
  }
  const allowDevUri = e.VILO_CHAIN_ALLOW_DEV_SIGNER === 'true' || e.VILO_CHAIN_ALLOW_DEV_SIGNER === '1';
  if (e.VILO_CHAIN_SIGNER_URI) {
    return { source: 'env', secret: new Secret(e.VILO_CHAIN_SIGNER_URI.trim()), type: e.VILO_CHAIN_SIGNER_TYPE, allowDevUri };
  }
  if (e.VILO_CHAIN_SIGNER_FILE) {
    const path = e.VILO_CHAIN_SIGNER_FILE;
    let text: string;
    try {
      text = readFileSync(path, 'utf8').trim();
    } catch (err) {
      throw new Error(`cannot read VILO_CHAIN_SIGNER_FILE ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    if (!text) throw new Error(`VILO_CHAIN_SIGNER_FILE ${path} is empty`);
    if ((statSync(path).mode & 0o077) !== 0) {
      log?.warn({ path }, 'signer file is readable by group or others');
    }
    return { source: path, secret: new Secret(text), type: e.VILO_CHAIN_SIGNER_TYPE, allowDevUri };
  }
  throw new Error('no payout signer: set VILO_CHAIN_SIGNER_URI or VILO_CHAIN_SIGNER_FILE');
}

/** True for URIs derived from the public dev phrase, like //Alice or the phrase itself. */
export function isDevUri(uri: string): boolean {
  const s = uri.trim();
  // A bare derivation path like //Alice is applied to the dev phrase.
  return s.startsWith('/') || s.startsWith(DEV_PHRASE);
}

export interface LoadSignerOptions {
  /** Overrides the config's allowDevUri, e.g. for an embedded dev chain started in-process. */
  allowDevUri?: boolean;
  /** SS58 prefix for the returned pair's address; defaults to the generic 42. */
  ss58Format?: number;
}

export async function loadSigner(config: SignerConfig, opts: LoadSignerOptions = {}): Promise<KeyringPair> {
  await cryptoWaitReady();
  const uri = config.secret.reveal();
  if (isDevUri(uri) && !(opts.allowDevUri ?? config.allowDevUri)) {
    throw new Error('refusing a development signer URI; set VILO_CHAIN_ALLOW_DEV_SIGNER=true for dev chains');
  }
  const keyring = new Keyring({ type: config.type, ss58Format: opts.ss58Format ?? 42 });
  try {
    return keyring.addFromUri(uri);
  } catch {
    // The keyring's own message may quote the URI.
    throw new Error(`invalid signer URI from ${config.source}`);
  }
}

/** For tests and the dev chain: a pair from an explicit dev URI, never from config. */
export async function devSigner(uri: string, ss58Format = 42): Promise<KeyringPair> {
  if (!isDevUri(uri)) throw new Error('devSigner only takes //Dev URIs');
  await cryptoWaitReady();
  return new Keyring({ type: 'sr25519', ss58Format }).addFromUri(uri);
}
