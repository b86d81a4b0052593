// The platform as browser tests need it: embedded defaults (throwaway PGlite, a free port)
// serving the built web app. Extra settings (fleet mode, a given sfu-node) layer on top.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import type { SfuNode } from '@vilokanam/sfu-node';
import { signalingConfigFromEnv, startPlatform, type Platform } from '@vilokanam/signaling';

export const WEB_DIR = fileURLToPath(new URL('../../../../web/build', import.meta.url));

export async function startWebPlatform(env: Record<string, string> = {}, opts: { sfu?: SfuNode } = {}): Promise<Platform> {
  if (!existsSync(`${WEB_DIR}/index.html`)) throw new Error('web/build is missing: run scripts/setup.sh (npm test does)');
  const log = pino({ level: process.env.VILO_TEST_LOG ?? 'warn' });
  return startPlatform(
    signalingConfigFromEnv({ VILO_PORT: '0', VILO_DATA_DIR: 'memory://', VILO_WEB_DIR: WEB_DIR, VILO_LOG_LEVEL: 'warn', ...env }),
    { log, ...opts },
  );
}
