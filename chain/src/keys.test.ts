import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { mnemonicGenerate, cryptoWaitReady } from '@polkadot/util-crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devSigner, isDevUri, loadSigner, Secret, signerConfigFromEnv } from './keys.ts';

let dir: string;
let mnemonic: string;

beforeAll(async () => {
  await cryptoWaitReady();
  mnemonic = mnemonicGenerate();
  dir = mkdtempSync(join(tmpdir(), 'vilo-keys-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function captureLog(): { log: pino.Logger; text: () => string } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { log: pino({ level: 'trace' }, sink), text: () => chunks.join('') };
}

describe('signer config', () => {
  it('loads a mnemonic from VILO_CHAIN_SIGNER_URI', async () => {
    const cfg = signerConfigFromEnv({ VILO_CHAIN_SIGNER_URI: mnemonic });
    const pair = await loadSigner(cfg);
    expect(cfg.source).toBe('env');
    expect(pair.address).toMatch(/^5/);
    expect(pair.type).toBe('sr25519');
  });

  it('loads from VILO_CHAIN_SIGNER_FILE, trimming the trailing newline', async () => {
    const path = join(dir, 'signer');
    writeFileSync(path, `${mnemonic}\n`, { mode: 0o600 });
    const fromFile = await loadSigner(signerConfigFromEnv({ VILO_CHAIN_SIGNER_FILE: path }));
    const fromEnv = await loadSigner(signerConfigFromEnv({ VILO_CHAIN_SIGNER_URI: mnemonic }));
    expect(fromFile.address).toBe(fromEnv.address);
  });

  it('has no default and refuses ambiguous or broken config', () => {
    expect(() => signerConfigFromEnv({})).toThrow('no payout signer');
    expect(() => signerConfigFromEnv({ VILO_CHAIN_SIGNER_URI: mnemonic, VILO_CHAIN_SIGNER_FILE: '/x' })).toThrow('only one');
    expect(() => signerConfigFromEnv({ VILO_CHAIN_SIGNER_FILE: join(dir, 'missing') })).toThrow('ENOENT');
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    expect(() => signerConfigFromEnv({ VILO_CHAIN_SIGNER_FILE: empty })).toThrow('is empty');
  });

  it('refuses //Dev URIs unless explicitly allowed', async () => {
    await expect(loadSigner(signerConfigFromEnv({ VILO_CHAIN_SIGNER_URI: '//Alice' }))).rejects.toThrow('development signer');
    const allowed = await loadSigner(signerConfigFromEnv({ VILO_CHAIN_SIGNER_URI: '//Alice', VILO_CHAIN_ALLOW_DEV_SIGNER: 'true' }));
    expect(allowed.address).toBe('5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY');
    const viaOption = await loadSigner(signerConfigFromEnv({ VILO_CHAIN_SIGNER_URI: '//Bob' }), { allowDevUri: true });
    expect(viaOption.address).toBe((await devSigner('//Bob')).address);
    expect(isDevUri(mnemonic)).toBe(false);
    await expect(devSigner(mnemonic)).rejects.toThrow('only takes');
  });

  it('rejects an invalid URI without echoing it', async () => {
    const bad = 'correct horse battery staple not a real mnemonic phrase at all';
    const err = await loadSigner(signerConfigFromEnv({ VILO_CHAIN_SIGNER_URI: bad })).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('invalid signer URI from env');
    expect((err as Error).message).not.toContain('horse');
  });

  it('never puts the secret in logs, JSON, inspect or strings', async () => {
    const path = join(dir, 'world-readable');
    writeFileSync(path, mnemonic, { mode: 0o644 });
    const { log, text } = captureLog();
    const fromEnv = signerConfigFromEnv({ VILO_CHAIN_SIGNER_URI: mnemonic });
    const fromFile = signerConfigFromEnv({ VILO_CHAIN_SIGNER_FILE: path }, log);
    const pair = await loadSigner(fromEnv);
    log.info({ config: fromEnv }, 'signer config');
    log.info(fromFile, 'signer config flat');
    log.info({ secret: fromEnv.secret, pair: { address: pair.address } }, 'loaded');
    log.error({ err: new Error(`wrapped ${String(fromEnv.secret)}`) }, 'oops');

    const out = text();
    const firstWord = mnemonic.split(' ')[0]!;
    expect(out).toContain('signer config');
    expect(out).toContain('[redacted]');
    expect(out).toContain('readable by group or others');
    expect(out).not.toContain(mnemonic);
    // Two words in a row would already be a leak.
    expect(out).not.toContain(mnemonic.split(' ').slice(0, 2).join(' '));
    expect(JSON.stringify(fromEnv)).not.toContain(firstWord + ' ');
    expect(inspect(fromEnv, { depth: 5 })).not.toContain(mnemonic);
    expect(`${fromEnv.secret}`).toBe('[redacted]');
    expect(fromEnv.secret.reveal()).toBe(mnemonic);
    expect(new Secret('x')).not.toHaveProperty('value');
  });
});
