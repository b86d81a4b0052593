// Kubernetes mode end to end: a real kube-apiserver with the chart applied, the operator under
// its ServiceAccount, real sfu-node processes for the fleet's pods, and signaling as its own
// process with the chart's settings, its own ServiceAccount and no mediasoup worker at all, and
// two social processes (the social Service's pods) with the chart's settings on the same
// Postgres database and Redis.
// The studio (Chromium) goes live, which creates a LiveStream; the publisher lands on the
// operator's origin; werift viewers fill it; the operator adds an edge from the load reports,
// signaling pipes it and routes new viewers there; the edge goes when they leave; stopping
// the stream ends the LiveStream.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportKeyPrefix, type NodeReport } from '@vilokanam/sfu-node';
import { routeKey, StreamRoute, VIEWER_DEMAND_ANNOTATION } from '@vilokanam/operator/api';
import { Harness, NAMESPACE, RELEASE, SIGNALING_SA } from '@vilokanam/testkit/kube';
import { signalingEnv, socialEnv } from '@vilokanam/testkit/kube';
import { createPostgresDatabase } from '@vilokanam/testkit/postgres';
import { CHAT_WS_PATH } from '@vilokanam/contracts/chat';

import { NodeViewer, WsTestClient } from '@vilokanam/testkit/clients';
import { launchChromium, mediaContext } from '@vilokanam/testkit/web';
import { WEB_DIR } from '@vilokanam/testkit/web';
import { goLive } from '@vilokanam/testkit/web';
import { freePort, waitFor } from '@vilokanam/testkit';

const SIGNALING_MAIN = fileURLToPath(new URL('../../services/signaling/src/main.ts', import.meta.url));
const SOCIAL_MAIN = fileURLToPath(new URL('../../services/social/src/main.ts', import.meta.url));
const PER_EDGE = 2;

let h: Harness;
let signaling: ChildProcess;
let database: { url: string; drop(): Promise<void> };
const social: ChildProcess[] = [];
const socialUrls: string[] = [];
let url: string;
let browser: Browser;
let studio: Page;
let streamId: string;
const viewers: NodeViewer[] = [];

async function startSignaling(): Promise<string> {
  const kubeconfig = await h.cp.writeKubeconfig(join(h.cp.dir, 'signaling.kubeconfig'), { serviceAccount: { namespace: NAMESPACE, name: SIGNALING_SA } });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...signalingEnv(h.rendered, RELEASE, NAMESPACE),
    KUBECONFIG: kubeconfig,
    VILO_HOST: '127.0.0.1',
    VILO_PORT: '0',
    // Processes on one host: each takes a free ops port rather than the pod's fixed one.
    VILO_OPS_PORT: '0',
    // Social reads streams and sessions from signaling's database.
    VILO_DATABASE_URL: database.url,
    VILO_WEB_DIR: WEB_DIR,
    VILO_LOG_LEVEL: process.env.VILO_TEST_LOG ?? 'warn',
  };
  // Signaling drives remote nodes only: it must not need a worker binary of its own.
  delete env.MEDIASOUP_WORKER_BIN;
  signaling = spawn(process.execPath, [SIGNALING_MAIN], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`signaling did not start: ${out}`)), 30_000);
    signaling.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /Vilokanam is running: (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    signaling.once('exit', (code) => reject(new Error(`signaling exited with ${code}: ${out}`)));
  });
}


/** One pod of the social Deployment, as a process with the chart's settings. */
async function startSocial(): Promise<string> {
  const port = await freePort();
  const env = { ...process.env, ...socialEnv(h.rendered, RELEASE), VILO_DATABASE_URL: database.url, VILO_HOST: '127.0.0.1', VILO_PORT: String(port), VILO_OPS_PORT: '0', VILO_LOG_LEVEL: process.env.VILO_TEST_LOG ?? 'warn' };
  const child = spawn(process.execPath, [SOCIAL_MAIN], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  social.push(child);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`social on port ${port} to be ready`, async () => {
    if (child.exitCode !== null) throw new Error(`social exited with ${child.exitCode}`);
    return (await fetch(`${url}/readyz`)).ok;
  }, 60_000);
  return url;
}

async function route(): Promise<StreamRoute | undefined> {
  const json = await h.redis.get(routeKey(streamId));
  return json ? StreamRoute.parse(JSON.parse(json)) : undefined;
}

async function load(pod: string): Promise<{ producers: number; consumers: number } | undefined> {
  const json = await h.redis.get(reportKeyPrefix(h.env.VILO_FLEET) + pod);
  return json ? (JSON.parse(json) as NodeReport).streams[streamId] : undefined;
}

async function addViewer(): Promise<NodeViewer> {
  const v = new NodeViewer(url, streamId);
  viewers.push(v);
  await v.start(30_000);
  return v;
}

async function receiving(v: NodeViewer, what: string): Promise<void> {
  const before = v.stats.frames;
  await waitFor(`${what} to receive frames`, () => v.stats.frames > before + 10, 15_000);
}

beforeAll(async () => {
  h = await Harness.start({ hosts: 3, redisDb: 14, values: { sfu: { edges: { viewersPerEdge: PER_EDGE, scaleDownDelaySeconds: 1 } } } });
  const operator = await h.operator('operator-0');
  await waitFor('the operator to lead', () => operator.leading, 15_000);
  database = await createPostgresDatabase();
  url = await startSignaling();
  socialUrls.push(await startSocial(), await startSocial());
  browser = await launchChromium();
  studio = await (await mediaContext(browser, url)).newPage();
}, 180_000);

afterAll(async () => {
  for (const v of viewers) v.close();
  await browser?.close();
  signaling?.kill('SIGTERM');
  for (const child of social) child.kill('SIGTERM');
  await h?.close();
  await database?.drop();
}, 60_000);

describe('signaling in Kubernetes mode', () => {
  it('turns a started stream into a LiveStream and publishes to the operator\'s origin', async () => {
    streamId = await goLive(studio, 'Kube Live', 60_000);
    const ls = await h.streams.get(NAMESPACE, streamId);
    expect(ls.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('vilokanam-signaling');
    expect(ls.spec).toMatchObject({ title: 'Kube Live', category: 'tech', ended: false, edges: { viewersPerEdge: PER_EDGE } });
    expect(ls.status?.phase).toBe('Live');
    const r = (await route())!;
    expect(r.origin.pod).toBe(ls.status!.origin!.pod);
    // The studio's audio and video producers are on the origin the operator chose.
    await waitFor('the publisher on the origin', async () => (await load(r.origin.pod))?.producers === 2, 10_000);
  });

  it('serves the live stream\'s chat from every social replica', async () => {
    for (const base of socialUrls) {
      const chat = await WsTestClient.connect(base, { path: CHAT_WS_PATH });
      try {
        const joined = await chat.request('join', { room: streamId });
        expect(joined.ok, JSON.stringify(joined.error)).toBe(true);
        expect(joined.data).toMatchObject({ room: streamId, role: 'anonymous' });
      } finally {
        chat.close();
      }
    }
  });

  it('fills the origin, gets an edge from the operator, pipes it and sends new viewers there', async () => {
    const origin = (await route())!.origin.pod;
    for (let i = 0; i < PER_EDGE + 1; i++) await addViewer();
    // Every serving node is full, so the third viewer still went to the origin, and signaling
    // asked the operator for room for three.
    await waitFor('the origin to report 3 viewers', async () => (await load(origin))?.consumers === 2 * (PER_EDGE + 1), 10_000);
    const asked = (await h.streams.get(NAMESPACE, streamId)).metadata.annotations?.[VIEWER_DEMAND_ANNOTATION];
    expect(asked).toMatch(/^3@\d+$/);
    // ceil((3 − 2) / 2) = 1 edge; the fleet grows a pod for it.
    const withEdge = await waitFor('an edge in the route', async () => ((await route())?.edges.length === 1 ? route() : undefined), 60_000);
    const edge = withEdge!.edges[0]!;
    expect(edge.parent).toBe(origin);
    expect(edge.pod).not.toBe(origin);
    // Signaling piped both producers down to the edge before sending anyone there.
    await waitFor('producers piped to the edge', async () => (await load(edge.pod))?.producers === 2, 20_000);
    const onEdge = await addViewer();
    await waitFor('the new viewer on the edge', async () => (await load(edge.pod))?.consumers === 2, 10_000);
    await receiving(onEdge, 'the edge viewer');
    for (const [i, v] of viewers.entries()) await receiving(v, `viewer ${i}`);
  });

  it('drops the edge and its pipes once its viewers leave', async () => {
    const edge = (await route())!.edges[0]!.pod;
    for (const v of viewers.splice(0)) v.close();
    await waitFor('the edge to leave the route', async () => (await route())?.edges.length === 0, 60_000);
    await waitFor('the edge router to close', async () => (await load(edge)) === undefined, 20_000);
  });

  it('ends the LiveStream when the creator stops', async () => {
    await studio.getByTestId('stop-stream').click();
    const ended = await waitFor('spec.ended', async () => {
      const ls = await h.streams.get(NAMESPACE, streamId);
      return ls.spec.ended && ls.status?.phase === 'Ended' ? ls : undefined;
    }, 20_000);
    expect(ended.spec.ended).toBe(true);
    await waitFor('the route to go', async () => (await route()) === undefined, 20_000);
  });
});
