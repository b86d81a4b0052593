// Standalone sfu-node: `node sfu-node/src/main.ts`. Runs the mediasoup workers behind the
// authenticated control channel, reports load to Redis, and drains on SIGTERM.
import os from 'node:os';
import { Redis } from 'ioredis';
import pino from 'pino';
import { sfuConfigFromEnv, sfuControlConfigFromEnv } from './config.ts';
import { ControlAuth } from './control/ControlAuth.ts';
import { ControlServer } from './control/ControlServer.ts';
import { LoadReporter } from './LoadReporter.ts';
import { RedisTickSink } from './RedisTickSink.ts';
import { SfuNode } from './SfuNode.ts';

const env = process.env;
const log = pino({ name: 'sfu-node', level: env.VILO_LOG_LEVEL ?? 'info' });
const secret = env.VILO_SFU_CONTROL_SECRET;
if (!secret) {
  log.fatal('VILO_SFU_CONTROL_SECRET is required (at least 32 characters)');
  process.exit(1);
}
const config = sfuConfigFromEnv(env);
const control = sfuControlConfigFromEnv(env);
const nodeId = env.VILO_SFU_NODE_ID || os.hostname();
const drainGraceMs = Number(env.VILO_SFU_DRAIN_GRACE_MS ?? 60_000);

// Metering needs Redis: ticks land in settlement's windows there.
const redis = env.VILO_REDIS_URL ? new Redis(env.VILO_REDIS_URL) : undefined;
const node = new SfuNode(config, log, redis ? { tickSink: new RedisTickSink(redis) } : {});
await node.start();
const server = new ControlServer(node, new ControlAuth(secret), log, {
  nodeId,
  urls: control.urls,
  ...(control.metricsToken ? { metricsToken: control.metricsToken } : {}),
});
const controlUrl = await server.listen(control.port, control.host);
// Default capacity: 400 viewers (audio + video consumers) per worker.
const capacity = Number(env.VILO_SFU_CAPACITY ?? config.numWorkers * 800);

let reporter: LoadReporter | undefined;
if (env.VILO_REDIS_URL) {
  reporter = new LoadReporter(node, redis!, { nodeId, controlUrl, capacity }, log, { fleet: env.VILO_FLEET || 'default' });
  reporter.start();
}
log.info({ nodeId, controlUrl, capacity, media: config.announcedAddress ?? config.listenIp }, 'sfu-node ready');
process.stdout.write(`sfu-node ${nodeId} control ${controlUrl}\n`);

let stopping = false;
async function drainAndExit(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (reporter) reporter.draining = true;
  const deadline = Date.now() + drainGraceMs;
  log.info({ signal, drainGraceMs }, 'draining');
  for (;;) {
    const { consumers } = await node.load();
    if (consumers === 0 || Date.now() >= deadline || signal === 'SIGINT') break;
    log.info({ consumers }, 'waiting for consumers to leave');
    await reporter?.report().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1000));
  }
  await reporter?.stop().catch(() => undefined);
  await server.close();
  node.close();
  process.exit(0);
}
process.on('SIGTERM', () => void drainAndExit('SIGTERM'));
process.on('SIGINT', () => void drainAndExit('SIGINT'));
