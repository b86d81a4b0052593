// Per-test database lifecycle with the ledger audit after every test.
import { afterEach, expect } from 'vitest';
import { auditLedger, entriesTotal } from '../audit.ts';
import type { Engine, OpenedDatabase } from './databases.ts';

/** Opens a fresh database per test; after each test, asserts the ledger is sound and drops it. */
export function useDatabase(engine: Engine): () => Promise<OpenedDatabase> {
  let handle: OpenedDatabase | undefined;
  afterEach(async () => {
    if (!handle) return;
    const h = handle;
    handle = undefined;
    try {
      expect(await entriesTotal(h.db)).toBe(0n);
      expect(await auditLedger(h.db)).toEqual([]);
    } finally {
      await h.drop();
    }
  });
  return async () => {
    handle = await engine.open();
    return handle;
  };
}
