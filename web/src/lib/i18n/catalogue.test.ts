// The catalogue and the code agree: every key the code asks for exists, every message parses as
// ICU, and nothing in the catalogue is left unused.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IntlMessageFormat } from 'intl-messageformat';
import { describe, expect, it } from 'vitest';
import en from './en.json' with { type: 'json' };
import { t } from './index.ts';

const SRC = fileURLToPath(new URL('../../', import.meta.url));

function flatten(tree: Record<string, unknown>, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else for (const [kk, vv] of flatten(v as Record<string, unknown>, key)) out.set(kk, vv);
  }
  return out;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.(svelte|ts)$/.test(name) && !name.endsWith('.test.ts') ? [p] : [];
  });
}

const messages = flatten(en);
/** Keys the code names literally: $_('a.b'), t('a.b'), and `${'a.b.'}${x}` prefixes for computed ones. */
const used = new Set<string>();
const prefixes = new Set<string>();
/** Keys held in data (a list of links, of steps) and looked up later count as used too. */
const mentioned = new Set<string>();
for (const file of sources(SRC)) {
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/(?:\$_|\bt)\(\s*'([a-zA-Z0-9_.]+)'/g)) used.add(m[1]!);
  for (const m of text.matchAll(/'([a-z][a-zA-Z0-9]*\.[a-zA-Z0-9_.]+)'/g)) if (messages.has(m[1]!)) mentioned.add(m[1]!);
  for (const m of text.matchAll(/(?:\$_|\bt)\(\s*`([a-zA-Z0-9_.]+\.)\$\{/g)) prefixes.add(m[1]!);
}

describe('the message catalogue', () => {
  it('has every key the code uses', () => {
    expect(used.size).toBeGreaterThan(40);
    expect([...used].filter((k) => !messages.has(k))).toEqual([]);
  });

  it('uses every message it has', () => {
    const unused = [...messages.keys()].filter((k) => !used.has(k) && !mentioned.has(k) && ![...prefixes].some((p) => k.startsWith(p)));
    expect(unused).toEqual([]);
  });

  it('holds only messages that parse as ICU and format with sample values', () => {
    const values = { symbol: 'ROC', amount: '1 ROC', fee: '0.01 ROC', number: 7, time: 'about 2 min', duration: '2 min', which: 'day_cap', planck: '1 planck', hour: '3.6 ROC', minute: '0.06 ROC', second: '0.001 ROC', rate: '0.06 ROC', message: 'Stream not found', title: 'Morning run', count: 1, total: 2, value: '—', name: 'Low', label: 'video h', figure: 'bitrate', address: '5Grw…utQY', hash: '0x12345678', width: 1280, height: 720, fps: '30', reason: 'cpu', sentence: 'Something went wrong.', detail: 'Invalid stream key' };
    for (const [key, message] of messages) {
      expect(() => new IntlMessageFormat(message, 'en').format(values), key).not.toThrow();
    }
    expect(new IntlMessageFormat(messages.get('caps.capAllows')!, 'en').format(values)).toBe('Your daily spending limit allows about 2 min of this stream today.');
    expect(new IntlMessageFormat(messages.get('deposit.intro')!, 'en').format()).toMatch(/^polkadot\{\.js\}, Talisman/);
  });

  it('shows every message through ICU as the pages do, so quoting never shows', () => {
    const values = { symbol: 'ROC', amount: '1 ROC', fee: '0.01 ROC', number: 7, time: 'about 2 min', duration: '2 min', which: 'day_cap', planck: '1 planck', hour: '3.6 ROC', minute: '0.06 ROC', second: '0.001 ROC', rate: '0.06 ROC', message: 'Stream not found', title: 'Morning run', count: 1, total: 2, value: '—', name: 'Low', label: 'video h', figure: 'bitrate', address: '5Grw…utQY', hash: '0x12345678', width: 1280, height: 720, fps: '30', reason: 'cpu', sentence: 'Something went wrong.', detail: 'Invalid stream key' };
    for (const key of messages.keys()) expect(t(key, values), key).not.toMatch(/'\{|\}'/);
    // Asked without values, as most components ask, a quoted brace still comes out plain.
    expect(t('deposit.intro')).toMatch(/^polkadot\{\.js\}, Talisman or SubWallet/);
  });
});
