// The real images, built from docker/ with podman (scripts/images/build.sh), started as a
// cluster would start them: host networking, configuration from env only, uid 10001. Each must
// carry production dependencies only and come up healthy on real Postgres and Redis, and the
// signaling image must find the sfu-node container through Redis as it finds a pod.
import { randomUUID } from 'node:crypto';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { freePort } from '@vilokanam/testkit';
import { builtImages, Container, IMAGE_NAMES, Podman, type Images } from '@vilokanam/testkit/containers';
import { fileURLToPath } from 'node:url';
import { ControlPlane, kubectl } from '@vilokanam/testkit/kube';
import { createPostgresDatabase } from '@vilokanam/testkit/postgres';

const REDIS_DB = 13;
const SECRET = (c: string) => c.repeat(48);
/** What a production image must not carry: the dev chain, test runners, browsers' drivers, compilers. */
const DEV_ONLY = ['vitest', '@vitest', '@acala-network/chopsticks', 'sqlite3', 'playwright-core', 'typescript', 'vite', 'fast-check', 'werift', '@vilokanam/testkit'];

let images: Images;
let db: { url: string; drop(): Promise<void> };
let redis: Redis;
const started: Container[] = [];
const run = randomUUID().slice(0, 8);


async function start(o: Parameters<typeof Container.start>[0]): Promise<Container> {
  const c = await Container.start(o);
  started.push(c);
  return c;
}

beforeAll(async () => {
  images = await builtImages();
  db = await createPostgresDatabase();
  redis = new Redis(`redis://127.0.0.1:6379/${REDIS_DB}`);
  await redis.flushdb();
}, 45 * 60_000);

afterAll(async () => {
  await Promise.all(started.map((c) => c.kill()));
  await redis?.quit();
  await db?.drop();
}, 60_000);

describe('production images', () => {
  it.each(IMAGE_NAMES)('%s runs as uid 10001 and carries no development dependency', async (name) => {
    const config = await Podman.inspectImage(images[name]);
    expect(config.User).toBe('10001:10001');
    expect(config.Env).toContain('NODE_ENV=production');
    const present = await Podman.output(images[name], ['-c', `cd /app && for p in ${DEV_ONLY.join(' ')}; do [ -e node_modules/$p ] && echo $p; done; true`], { entrypoint: 'sh' });
    expect(present.trim().split('\n').filter(Boolean)).toEqual([]);
    // And what it must carry: its entry point exists where CMD says.
    const entry = config.Cmd?.at(-1) ?? '';
    expect(await Podman.output(images[name], ['-c', `test -f /app/${entry} && echo found`], { entrypoint: 'sh' })).toContain('found');
  }, 60_000);

  it('start on real Postgres and Redis and answer their health endpoints', async () => {
    const fleet = `img-${run}`;
    const redisUrl = `redis://127.0.0.1:6379/${REDIS_DB}`;
    const common = { VILO_REDIS_URL: redisUrl, VILO_FLEET: fleet, VILO_LOG_LEVEL: 'warn' };

    // sfu-node: the worker binary inside the image really runs (healthz counts live workers).
    const sfu = await start({
      name: `vilo-sfu-${run}`,
      image: images['sfu-node'],
      env: {
        ...common,
        VILO_SFU_NODE_ID: `sfu-${run}`,
        VILO_SFU_CONTROL_SECRET: SECRET('s'),
        VILO_SFU_LISTEN_IP: '127.0.0.61',
        VILO_SFU_CONTROL_HOST: '127.0.0.61',
        VILO_SFU_CONTROL_PORT: '0',
        VILO_SFU_ANNOUNCED_ADDRESS: '127.0.0.61',
        VILO_SFU_RTC_MIN_PORT: '43600',
        VILO_SFU_RTC_MAX_PORT: '43699',
        VILO_SFU_WORKERS: '1',
      },
      readyLine: /control (http:\/\/\S+)/,
    });
    expect(await (await fetch(`${sfu.match}/healthz`)).json()).toEqual({ ok: true });

    // signaling in fleet mode: ready only once it sees the sfu-node container's load report.
    const signalingPort = await freePort();
    const signaling = await start({
      name: `vilo-signaling-${run}`,
      image: images.signaling,
      env: {
        ...common,
        VILO_SFU_MODE: 'fleet',
        VILO_HOST: '127.0.0.1',
        VILO_PORT: String(signalingPort),
        VILO_OPS_PORT: String(await freePort()),
        VILO_DATABASE_URL: db.url,
        VILO_SFU_CONTROL_SECRET: SECRET('s'),
        VILO_TOKEN_SECRET: SECRET('t'),
        VILO_SESSION_SECRET: SECRET('x'),
        VILO_BILLING_SESSION_KEY: 'b'.repeat(64),
      },
      readyUrl: `http://127.0.0.1:${signalingPort}/readyz`,
      timeoutMs: 120_000,
    });
    const base = `http://127.0.0.1:${signalingPort}`;
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    const streams = await fetch(`${base}/api/v1/streams`);
    expect(streams.status).toBe(200);
    expect(signaling.output).not.toMatch(/"level":50/);

    // social waits for signaling's schema, then applies its own.
    const socialPort = await freePort();
    await start({
      name: `vilo-social-${run}`,
      image: images.social,
      env: { ...common, VILO_HOST: '127.0.0.1', VILO_PORT: String(socialPort), VILO_OPS_PORT: String(await freePort()), VILO_DATABASE_URL: db.url, VILO_SESSION_SECRET: SECRET('x') },
      readyUrl: `http://127.0.0.1:${socialPort}/readyz`,
      timeoutMs: 120_000,
    });
    const categories = await fetch(`http://127.0.0.1:${socialPort}/api/v1/categories`);
    expect(categories.status).toBe(200);

    const metricsPort = await freePort();
    await start({
      name: `vilo-settlement-${run}`,
      image: images.settlement,
      env: { ...common, VILO_DATABASE_URL: db.url, VILO_SETTLEMENT_METRICS_HOST: '127.0.0.1', VILO_SETTLEMENT_METRICS_PORT: String(metricsPort), VILO_BILLING_SESSION_KEY: 'b'.repeat(64) },
      readyUrl: `http://127.0.0.1:${metricsPort}/healthz`,
    });
    expect(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()).toContain('vilo_settlement_');

    // A clean stop: SIGTERM reaches node as PID 1 and it exits 0, as a pod's rollout needs.
    expect(await started.pop()!.stop()).toBe(0);
  }, 240_000);

  it('operator starts from its image against a real apiserver and takes the lease', async () => {
    const cp = await ControlPlane.start({});
    try {
      // The container runs as uid 10001: the kubeconfig it mounts must be readable by it.
      const kubeconfig = join(cp.dir, 'operator-image.kubeconfig');
      await writeFile(kubeconfig, cp.kubeConfig('admin').exportConfig());
      await chmod(kubeconfig, 0o644);
      // The operator's informers list LiveStreams: the CRD the chart installs must exist.
      const crd = await kubectl(kubeconfig, ['apply', '-f', fileURLToPath(new URL('../../../crds/livestream.yaml', import.meta.url))]);
      expect(crd.code, crd.stderr).toBe(0);
      const port = await freePort();
      const operator = await start({
        name: `vilo-operator-${run}`,
        image: images.operator,
        env: {
          KUBECONFIG: '/etc/vilokanam/kubeconfig',
          VILO_OPERATOR_NAMESPACE: 'default',
          VILO_OPERATOR_IDENTITY: `image-${run}`,
          VILO_REDIS_URL: `redis://127.0.0.1:6379/${REDIS_DB}`,
          VILO_FLEET: `img-${run}`,
          VILO_SFU_CONTROL_SECRET: SECRET('s'),
          VILO_OPERATOR_METRICS_HOST: '127.0.0.1',
          VILO_OPERATOR_METRICS_PORT: String(port),
          VILO_LOG_LEVEL: 'warn',
        },
        mounts: { [kubeconfig]: '/etc/vilokanam/kubeconfig' },
        readyUrl: `http://127.0.0.1:${port}/healthz`,
      });
      await expect
        .poll(async () => (await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).match(/^vilo_operator_leader (\d)/m)?.[1], { timeout: 30_000, interval: 500 })
        .toBe('1');
      expect(await operator.stop()).toBe(0);
      started.splice(started.indexOf(operator), 1);
    } finally {
      await cp.close();
    }
  }, 120_000);
});
