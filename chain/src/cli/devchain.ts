#!/usr/bin/env node
// Runs a local Asset Hub dev chain (chopsticks) until interrupted. Prints the ws URL alone on
// stdout so a parent process can read it; logs go to stderr.
// Usage: node chain/src/cli/devchain.ts [--port N] [--block-mode instant|manual] [--fund <address>]...
import { parseArgs } from 'node:util';
import pino from 'pino';
import { DevChain } from '../DevChain.ts';

const USAGE = 'usage: devchain [--port N] [--block-mode instant|manual] [--fund <address>]...';

const args = (() => {
  try {
    return parseArgs({
      options: {
        port: { type: 'string' },
        'block-mode': { type: 'string', default: 'instant' },
        fund: { type: 'string', multiple: true, default: [] },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
})();
if (args.help) {
  console.error(USAGE);
  process.exit(0);
}
const mode = args['block-mode'];
if (mode !== 'instant' && mode !== 'manual') {
  console.error(`--block-mode must be instant or manual\n${USAGE}`);
  process.exit(2);
}
const port = args.port === undefined ? undefined : Number(args.port);
if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
  console.error(`--port must be a port number\n${USAGE}`);
  process.exit(2);
}

const log = pino({ name: 'devchain', level: process.env.VILO_LOG_LEVEL ?? 'info' }, pino.destination(2));
const chain = await DevChain.start({ log, blockMode: mode, fund: args.fund, ...(port === undefined ? {} : { port }) });
console.log(chain.wsUrl);

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'stopping dev chain');
  void chain.close().then(() => process.exit(0));
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
