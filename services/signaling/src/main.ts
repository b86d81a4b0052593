// Entry point: `npm start` runs this in embedded mode.
import { signalingConfigFromEnv } from './config.ts';
import { createLogger } from './log.ts';
import { startPlatform } from './Platform.ts';

const config = signalingConfigFromEnv();
const log = createLogger(config.logLevel);
const platform = await startPlatform(config, { log });
if (config.ephemeralSecret) log.warn('VILO_TOKEN_SECRET unset: using a per-process secret (fine for one machine)');
process.stdout.write(`\n  Vilokanam is running: ${platform.url}\n  Go live at ${platform.url}/studio, watch at ${platform.url}/\n\n`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    platform.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
