import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestAccount } from '@vilokanam/testkit/clients';
import type { Database } from '../db/Database.ts';
import { StreamStore } from '../StreamStore.ts';
import { engines } from '../testing/databases.ts';
import { LiveLeases, leaseTiming } from './LiveLeases.ts';

describe('leaseTiming', () => {
  it('renews and sweeps four times per lease, never more often than every 250 ms', () => {
    expect(leaseTiming(20)).toEqual({ renewMs: 5000, sweepMs: 5000 });
    expect(leaseTiming(2)).toEqual({ renewMs: 500, sweepMs: 500 });
    expect(leaseTiming(0.5)).toEqual({ renewMs: 250, sweepMs: 250 });
  });
});

describe.each(engines)('LiveLeases on $name', (engine) => {
  let handle: { db: Database; drop(): Promise<void> } | undefined;
  afterEach(async () => {
    await handle?.drop();
    handle = undefined;
  });

  it('renews what it holds, reports what another replica took, and ends what nobody renewed', async () => {
    handle = await engine.open();
    const db = handle.db;
    const creatorId = await createTestAccount(db);
    const mine = new StreamStore(db, { holder: 'mine', seconds: 20 });
    const theirs = new StreamStore(db, { holder: 'theirs', seconds: 20 });
    const ids: string[] = [];
    for (const title of ['kept', 'taken', 'abandoned']) {
      const { stream } = (await mine.create({ title, category: 'games', creatorId }))!;
      await mine.markLive(stream.id);
      ids.push(stream.id);
    }
    const [kept, taken, abandoned] = ids as [string, string, string];
    await theirs.claimLease(taken);
    await db.query(`UPDATE streams SET live_lease_until = now() - interval '1 second' WHERE id = $1`, [abandoned]);

    const lost: string[] = [];
    const expired: string[] = [];
    const leases = new LiveLeases({ store: mine, log: pino({ level: 'silent' }), held: () => [kept, taken], lost: (x) => lost.push(...x), expired: (x) => expired.push(...x) });
    const before = await db.query<{ until: Date }>('SELECT live_lease_until AS until FROM streams WHERE id = $1', [kept]);
    // Two rounds at once are one round.
    await Promise.all([leases.renew(), leases.renew()]);
    expect(lost).toEqual([taken]);
    const after = await db.query<{ until: Date }>('SELECT live_lease_until AS until FROM streams WHERE id = $1', [kept]);
    expect(new Date(after[0]!.until).getTime()).toBeGreaterThan(new Date(before[0]!.until).getTime());

    await leases.sweep();
    expect(expired).toEqual([abandoned]);
    expect((await mine.get(abandoned))?.status).toBe('ended');
    expect((await mine.get(kept))?.status).toBe('live');
    leases.close();
  });
});
