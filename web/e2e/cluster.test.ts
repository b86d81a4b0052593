// The whole product on a real control plane, installed and run as a cluster runs it:
// `helm install` of the chart; a real kube-controller-manager turning its Deployments into
// ReplicaSets and pods; every pod (two operators, two signaling replicas, two social, settlement
// and the sfu-node pods the operator places) started from the images built from docker/ by the
// test kubelets with podman; Services by ClusterIP stand-ins with no affinity.
// A creator goes live from Chromium with a price; signed-in viewers with a deposit watch through
// the signaling Service. One signaling replica is killed mid-stream and then the Deployment is
// rolled: every viewer recovers within seconds, the stream never ends, and once settlement has
// folded the ticks, every viewer paid for each second it watched once, and the ledger balances.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeReport, reportKeyPrefix } from '@vilokanam/contracts/fleet';
import { TICK_INDEX_KEY } from '@vilokanam/contracts/ticks';
import { creatorAccount, openDatabase, PLATFORM_ACCOUNT, viewerAccount, type Database } from '@vilokanam/settlement';
import { Ledger } from '@vilokanam/settlement';
import { waitFor } from '@vilokanam/testkit';
import { AuthClient, newPair, NodeViewer } from '@vilokanam/testkit/clients';
import { builtImages } from '@vilokanam/testkit/containers';
import { Harness, NAMESPACE, RELEASE } from '@vilokanam/testkit/kube';
import { createPostgresDatabase } from '@vilokanam/testkit/postgres';
import { goLive, launchChromium, mediaContext } from '@vilokanam/testkit/web';

const PRICE = 1_000_000n;
const DEPOSIT = PRICE * 100_000n;
const VIEWERS = 3;
const SIGNALING = `${RELEASE}-vilokanam-signaling`;
const DEPLOYMENTS = ['operator', 'signaling', 'social', 'settlement'].map((c) => `${RELEASE}-vilokanam-${c}`);
// Each case gets 120 s: a rollout alone took 19–25 s on an idle machine, over 30 s under load.
/** How long a viewer may go without frames when its replica dies or rolls. */
const RECOVERY_MS = 10_000;

interface Watcher {
  viewer: NodeViewer;
  account: string;
  /** Unix seconds in which the viewer received media: the viewer's own meter. */
  seconds: Set<number>;
  lost: { at: number; back?: number }[];
}

let h: Harness;
let database: { url: string; drop(): Promise<void> };
let db: Database;
let url: string;
let browser: Browser;
let studio: Page;
let streamId: string;
let creatorId: string;
const watchers: Watcher[] = [];

async function rolledOut(name: string): Promise<void> {
  const res = await h.kubectl(['rollout', 'status', `deployment/${name}`, '-n', NAMESPACE, '--timeout=240s']);
  if (res.code !== 0) throw new Error(`${name}: ${res.stderr || res.stdout}\n${appOutput()}`);
}

/** Every app pod's last output, for a failure message. */
function appOutput(): string {
  return h.apps!.kubelet.pods().map((p) => `--- ${p.name} (ready ${p.ready}, restarts ${p.restarts})\n${h.apps!.kubelet.output(p.name).slice(-3_000)}`).join('\n');
}

const signalingPods = () => h.apps!.kubelet.pods().filter((p) => p.name.startsWith(`${SIGNALING}-`));

async function watcher(): Promise<Watcher> {
  const client = new AuthClient(url);
  const account: string = (await client.signIn(newPair('sr25519'))).body.account.id;
  await new Ledger(db).creditDeposit({ chainId: `test:cluster:${account}`, account, amount: DEPOSIT });
  const viewer = new NodeViewer(url, streamId, { cookie: client.cookie! });
  const w: Watcher = { viewer, account, seconds: new Set(), lost: [] };
  viewer.on('frame', () => w.seconds.add(Math.floor(Date.now() / 1000)));
  viewer.on('lost', () => w.lost.push({ at: Date.now() }));
  viewer.on('live', () => {
    const last = w.lost.at(-1);
    if (last && last.back === undefined) last.back = Date.now();
  });
  watchers.push(w);
  await viewer.start(30_000);
  return w;
}

async function allReceiving(what: string): Promise<void> {
  const before = watchers.map((w) => w.viewer.stats.frames);
  await waitFor(`${what}: every viewer receiving frames`, () => watchers.every((w, i) => w.viewer.stats.frames > before[i]! + 10), 30_000);
}

/** The unix seconds the ledger billed the viewer for on this stream (migration 008's bit masks). */
async function billedSeconds(account: string): Promise<Set<number>> {
  const rows = await db.query<{ bucket: string; mask: string }>('SELECT bucket::text, mask::text FROM billed_watch_seconds WHERE viewer = $1 AND stream = $2', [account, streamId]);
  const out = new Set<number>();
  for (const r of rows) {
    const mask = BigInt.asUintN(64, BigInt(r.mask));
    for (let b = 0n; b < 64n; b++) if ((mask >> b) & 1n) out.add(Number(BigInt(r.bucket) * 64n + b));
  }
  return out;
}

async function streamLive(): Promise<void> {
  const ls = await h.streams.get(NAMESPACE, streamId);
  expect(ls.spec.ended).toBe(false);
  expect(ls.status?.phase).toBe('Live');
  const [row] = await db.query<{ status: string }>('SELECT status FROM streams WHERE id = $1', [streamId]);
  expect(row?.status).toBe('live');
}

beforeAll(async () => {
  database = await createPostgresDatabase();
  h = await Harness.start({
    hosts: 2,
    redisDb: 13,
    apps: true,
    values: { postgres: { external: { url: database.url } }, signaling: { replicas: 2 }, social: { replicas: 2 } },
  });
  for (const name of DEPLOYMENTS) await rolledOut(name);
  // Opened once signaling and settlement have migrated the database.
  db = await openDatabase({ databaseUrl: database.url, dataDir: '' }, h.log);
  url = await h.apps!.services.url(SIGNALING, 'http');
  browser = await launchChromium();
  studio = await (await mediaContext(browser, url)).newPage();
}, 600_000);

afterAll(async () => {
  for (const w of watchers) w.viewer.close();
  await browser?.close();
  await h?.close();
  await db?.close();
  await database?.drop();
}, 120_000);

describe('the chart installed as a release', () => {
  it('runs every Deployment from the built images, and its helm tests pass', async () => {
    const images = await builtImages();
    for (const name of DEPLOYMENTS) {
      const res = await h.kubectl(['get', 'deployment', name, '-n', NAMESPACE, '-o', 'json']);
      const d = JSON.parse(res.stdout) as { spec: { replicas: number; template: { spec: { containers: { image: string }[] } } }; status: { readyReplicas?: number } };
      expect(d.status.readyReplicas, name).toBe(d.spec.replicas);
      expect(Object.values(images), name).toContain(d.spec.template.spec.containers[0]!.image);
    }
    expect(signalingPods().filter((p) => p.ready)).toHaveLength(2);
    // The hook pods fetch each component's health through the Services' cluster names.
    const tested = await h.helm(['test', RELEASE, '--timeout', '120s']);
    expect(tested.code, `${tested.stdout}\n${tested.stderr}`).toBe(0);
    expect(tested.stdout).toMatch(/TEST SUITE:\s+\S+-test-signaling[\s\S]*Phase:\s+Succeeded/);
    expect(tested.stdout).not.toMatch(/Phase:\s+Failed/);
  }, 120_000);

  it('keeps each sfu-node pod\'s /metrics to the holder of the release\'s metrics token', async () => {
    const keys = await waitFor('a node report', async () => {
      const found = await h.redis.keys(`${reportKeyPrefix(h.env.VILO_FLEET)}*`);
      return found.length > 0 ? found : undefined;
    }, 60_000);
    const report = NodeReport.parse(JSON.parse((await h.redis.get(keys[0]!))!));
    const secret = await h.kubectl(['get', 'secret', `${RELEASE}-vilokanam-secrets`, '-n', NAMESPACE, '-o', 'jsonpath={.data.sfu-metrics-token}']);
    const token = Buffer.from(secret.stdout, 'base64').toString();
    expect(token.length).toBeGreaterThanOrEqual(32);
    const metrics = `${report.controlUrl.replace(/\/$/, '')}/metrics`;
    expect((await fetch(metrics)).status).toBe(401);
    expect((await fetch(metrics, { headers: { authorization: 'Bearer not-the-token' } })).status).toBe(401);
    const res = await fetch(metrics, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('vilo_sfu_');
  }, 120_000);

  it('goes live with a price, and signed-in viewers watch through the signaling Service', async () => {
    streamId = await goLive(studio, 'Cluster Live', 90_000, { pricePerSecond: PRICE });
    const [row] = await db.query<{ creator_id: string }>('SELECT creator_id FROM streams WHERE id = $1', [streamId]);
    creatorId = row!.creator_id;
    for (let i = 0; i < VIEWERS; i++) await watcher();
    await allReceiving('after joining');
    await streamLive();
  }, 120_000);
});

describe('signaling replicas come and go', () => {
  it('loses no viewer for more than a few seconds when a replica is killed', async () => {
    const [victim] = signalingPods();
    await h.apps!.kubelet.killContainer(victim!.name);
    await allReceiving('after the kill');
    await waitFor('the killed replica to be restarted and ready', () => signalingPods().find((p) => p.name === victim!.name && p.restarts === 1 && p.ready), 90_000);
    await streamLive();
    for (const w of watchers) for (const l of w.lost) expect(l.back! - l.at, `viewer ${w.account}`).toBeLessThanOrEqual(RECOVERY_MS);
  }, 120_000);

  it('rolls signaling to new pods without ending the stream', async () => {
    const before = signalingPods().map((p) => p.name);
    const restarted = await h.kubectl(['rollout', 'restart', `deployment/${SIGNALING}`, '-n', NAMESPACE]);
    expect(restarted.code, restarted.stderr).toBe(0);
    await rolledOut(SIGNALING);
    await waitFor('the old replicas gone', () => signalingPods().every((p) => !before.includes(p.name)) && signalingPods().length === 2, 60_000);
    await allReceiving('after the rollout');
    await streamLive();
    for (const w of watchers) {
      expect(w.lost.every((l) => l.back !== undefined), `viewer ${w.account} came back every time`).toBe(true);
      for (const l of w.lost) expect(l.back! - l.at, `viewer ${w.account}`).toBeLessThanOrEqual(RECOVERY_MS);
    }
  }, 120_000);
});

describe('settlement in the cluster', () => {
  it('bills every watched second once, and the ledger balances', async () => {
    for (const w of watchers) w.viewer.close();
    // Settlement folds a window once it is closed (its length plus grace): then the index is empty.
    await waitFor('every tick window settled', async () => (await h.redis.scard(TICK_INDEX_KEY)) === 0, 90_000);
    let creatorDue = 0n;
    for (const w of watchers) {
      const [s] = await db.query<{ billed: number; amount: string; sessions: number }>(
        `SELECT coalesce(sum(billed_seconds), 0)::int AS billed, coalesce(sum(amount), 0)::text AS amount, count(DISTINCT session_id)::int AS sessions
         FROM settled_windows WHERE viewer = $1 AND stream = $2`,
        [w.account, streamId],
      );
      const billed = await billedSeconds(w.account);
      const [balance] = await db.query<{ balance: string }>('SELECT balance::text FROM ledger_accounts WHERE id = $1', [viewerAccount(w.account)]);
      // Every rejoin was a new session, and all of them together paid for each second once.
      expect(s!.sessions).toBeGreaterThan(1);
      expect(s!.sessions).toBeLessThanOrEqual(1 + w.lost.length);
      expect(s!.billed).toBe(billed.size);
      // The meter (sfu-node ticks) against the viewer's own clock: every billed second is one
      // in which the viewer received media (a second either way for the clocks' phase), and
      // few seconds with media went unbilled: around each rejoin, where the meter's sample and the
      // viewer's frames fall on either side of a boundary, and a new producer's first second
      // (the meter bills no second it has no baseline for).
      const stray = [...billed].filter((t) => !w.seconds.has(t) && !w.seconds.has(t - 1) && !w.seconds.has(t + 1));
      expect(stray, `viewer ${w.account}: billed seconds without media`).toEqual([]);
      expect(billed.size, `viewer ${w.account}`).toBeGreaterThanOrEqual(w.seconds.size - 3 * (1 + w.lost.length));
      expect(BigInt(s!.amount)).toBe(BigInt(s!.billed) * PRICE);
      expect(BigInt(balance!.balance)).toBe(DEPOSIT - BigInt(s!.amount));
      creatorDue += BigInt(s!.amount);
    }
    const balances = new Map(
      (await db.query<{ id: string; balance: string }>('SELECT id, balance::text FROM ledger_accounts WHERE id = ANY($1)', [[creatorAccount(creatorId), PLATFORM_ACCOUNT]])).map((r) => [r.id, BigInt(r.balance)]),
    );
    expect(balances.get(creatorAccount(creatorId))).toBe((creatorDue * 90n) / 100n);
    expect(balances.get(PLATFORM_ACCOUNT)).toBe(creatorDue - (creatorDue * 90n) / 100n);
  }, 120_000);
});
