#!/usr/bin/env node
// Checks a settled window's Merkle proof and, with --ws, the payout that committed its root.
// Usage: node chain/src/cli/verify-proof.ts <proof.json> [--ws ws://host:port] [--escrow <address>]
// Exit 0 when everything checked holds, 1 otherwise, 2 on bad usage.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { ApiPromise } from '@polkadot/api';
import { verifyInclusion } from '../inclusion.ts';

const USAGE = 'usage: verify-proof <proof.json> [--ws <url>] [--escrow <address>] [--json]';

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      allowPositionals: true,
      options: { ws: { type: 'string' }, escrow: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.values.help || args.positionals.length !== 1) {
    console.error(USAGE);
    return args.values.help ? 0 : 2;
  }
  let input: unknown;
  try {
    input = JSON.parse(await readFile(args.positionals[0]!, 'utf8'));
  } catch (err) {
    console.error(`cannot read proof file: ${(err as Error).message}`);
    return 1;
  }
  let api: ApiPromise | undefined;
  try {
    // @polkadot/api takes seconds to load; only pay for it when the chain is consulted.
    if (args.values.ws) api = await (await import('../api.ts')).connectApi(args.values.ws, { timeoutMs: 20_000 });
    const opts = args.values.escrow ? { escrow: args.values.escrow } : {};
    const report = await verifyInclusion(input, api, opts);
    if (args.values.json) console.log(JSON.stringify(report));
    else console.log(`${report.ok ? 'OK' : 'FAIL'}: ${report.message}`);
    return report.ok ? 0 : 1;
  } catch (err) {
    console.error(`FAIL: ${(err as Error).message}`);
    return 1;
  } finally {
    await api?.disconnect();
  }
}

process.exitCode = await main();
