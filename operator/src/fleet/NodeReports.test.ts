// Against the real Redis (database 12), with reports written in sfu-node's LoadReporter format:
// pub/sub delivery, the poll that catches missed messages, staleness and ordering.
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportChannel, reportKeyPrefix, type NodeReport } from '@vilokanam/sfu-node';
import { NodeReports } from './NodeReports.ts';
import { waitFor } from '@vilokanam/testkit';

const url = 'redis://127.0.0.1:6379/12';
let redis: Redis;
let sub: Redis;
let reports: NodeReports;

const report = (nodeId: string, at: number, consumers = 0): NodeReport => ({
  nodeId,
  controlUrl: 'http://127.0.0.1:7070',
  capacity: 100,
  draining: false,
  at,
  workers: 1,
  routers: 1,
  transports: 0,
  producers: 0,
  consumers,
  bitrateOut: 0,
  workerDeaths: 0,
  streams: { s: { producers: 0, consumers } },
});

const FLEET = 'node-reports-test';

async function publish(r: NodeReport, ttlMs = 6000): Promise<void> {
  await redis.multi().set(reportKeyPrefix(FLEET) + r.nodeId, JSON.stringify(r), 'PX', ttlMs).publish(reportChannel(FLEET), JSON.stringify(r)).exec();
}

beforeAll(async () => {
  redis = new Redis(url);
  sub = new Redis(url);
  await redis.flushdb();
  await redis.set(reportKeyPrefix(FLEET) + 'early', JSON.stringify(report('early', Date.now())), 'PX', 6000);
  // Another fleet on the same Redis, which must not be seen.
  await redis.set(reportKeyPrefix('someone-else') + 'theirs', JSON.stringify(report('theirs', Date.now())), 'PX', 6000);
  reports = new NodeReports({ redis, subscriber: sub, log: pino({ level: 'silent' }), staleMs: 1000, pollMs: 60_000, fleet: FLEET });
  await reports.start();
});
afterAll(async () => {
  await reports.stop();
  await redis.flushdb();
  redis.disconnect();
  sub.disconnect();
});

describe('NodeReports', () => {
  it('reads the reports already in Redis at start, of its own fleet only', () => {
    expect(reports.get('early')?.nodeId).toBe('early');
    expect(reports.get('theirs')).toBeUndefined();
  });

  it('follows reports on the channel and names the one each replaces', async () => {
    const seen: [number, number | undefined][] = [];
    reports.on('report', (r, prev) => r.nodeId === 'a' && seen.push([r.consumers, prev?.consumers]));
    await publish(report('a', Date.now(), 2));
    await publish(report('a', Date.now() + 1, 4));
    await waitFor('both reports', () => seen.length === 2);
    expect(seen).toEqual([[2, undefined], [4, 2]]);
    expect(reports.get('a')?.consumers).toBe(4);
  });

  it('keeps the newest report when an older one arrives late', async () => {
    await publish(report('b', Date.now() + 500, 7));
    await publish(report('b', Date.now(), 1));
    // A report published after both: once it is in, both of b's have been handled.
    await publish(report('b-barrier', Date.now()));
    await waitFor('the barrier report', () => reports.get('b-barrier'));
    expect(reports.get('b')?.consumers).toBe(7);
  });

  it('treats a stale report as none and drops a node whose key expired', async () => {
    const gone: string[] = [];
    reports.on('gone', (id) => gone.push(id));
    await publish(report('c', Date.now()), 300);
    await new Promise((r) => setTimeout(r, 1200));
    expect(reports.get('c')).toBeUndefined();
    await reports.poll();
    expect(gone).toContain('c');
    expect(reports.all().map((r) => r.nodeId)).not.toContain('c');
  });
});
