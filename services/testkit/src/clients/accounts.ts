// An account row as a wallet sign-in would leave it, for tests that need an owner without a
// browser or a signature (streams have one, always).
import { randomBytes } from 'node:crypto';
import { u8aToHex } from '@polkadot/util';
import { encodeAddress } from '@polkadot/util-crypto';
import type { Database } from '@vilokanam/settlement/db';
import { AccountStore } from '@vilokanam/signaling/auth';

export async function createTestAccount(db: Database, displayName = 'Test creator'): Promise<string> {
  const key = randomBytes(32);
  const account = await new AccountStore(db).upsert({ id: u8aToHex(key), address: encodeAddress(key, 42) }, displayName, Date.now());
  return account.id;
}
