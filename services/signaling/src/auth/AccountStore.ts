import type { Database } from '../db/Database.ts';
import type { AccountView } from '@vilokanam/contracts/auth';
import type { WalletKey } from './wallet.ts';

export interface Account {
  /** Public key, lowercase 0x hex; the primary key everywhere an account is referenced. */
  id: string;
  /** SS58 with the platform's prefix. */
  address: string;
  displayName: string | null;
  createdAt: Date;
  lastLoginAt: Date;
}

interface AccountRow {
  id: string;
  address: string;
  display_name: string | null;
  created_at: Date;
  last_login_at: Date;
}

const COLUMNS = 'id, address, display_name, created_at, last_login_at';

function toAccount(r: AccountRow): Account {
  return {
    id: r.id,
    address: r.address,
    displayName: r.display_name,
    createdAt: new Date(r.created_at),
    lastLoginAt: new Date(r.last_login_at),
  };
}

/** Accounts exist once their key has signed a challenge; there is no other way to make one. */
export class AccountStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /**
   * Creates the account on its first sign-in. Later sign-ins refresh the address (the
   * platform's SS58 prefix may have changed) and keep a name the account already has.
   *
   * The same transaction makes the user the owner of their settlement ledger accounts
   * (`accounts`, keyed by the same 0x id), so viewer:<id> and creator:<id> are this user. Their
   * SS58 address becomes the payout address only when none is set: a payout address chosen
   * later (another wallet, say) must survive the next sign-in. A row the ledger created first
   * (a deposit naming this id before the first sign-in) has none, and gets this one.
   */
  async upsert(key: WalletKey, displayName: string | undefined, now = Date.now()): Promise<Account> {
    return this.#db.transaction(async (tx) => {
      const rows = await tx.query<AccountRow>(
        `INSERT INTO user_accounts (id, address, display_name, created_at, last_login_at)
         VALUES ($1, $2, $3, $4, $4)
         ON CONFLICT (id) DO UPDATE SET
           address = EXCLUDED.address,
           display_name = COALESCE(user_accounts.display_name, EXCLUDED.display_name),
           last_login_at = EXCLUDED.last_login_at
         RETURNING ${COLUMNS}`,
        [key.id, key.address, displayName ?? null, new Date(now)],
      );
      await tx.query(
        `INSERT INTO accounts (id, payout_address) VALUES ($1, $2)
         ON CONFLICT (id) DO UPDATE SET payout_address = EXCLUDED.payout_address
         WHERE accounts.payout_address IS NULL`,
        [key.id, key.address],
      );
      return toAccount(rows[0]!);
    });
  }

  async get(id: string): Promise<Account | undefined> {
    const rows = await this.#db.query<AccountRow>(`SELECT ${COLUMNS} FROM user_accounts WHERE id = $1`, [id]);
    return rows[0] ? toAccount(rows[0]) : undefined;
  }
}

export function toAccountView(a: Account): AccountView {
  return { id: a.id, address: a.address, displayName: a.displayName, createdAt: a.createdAt.toISOString() };
}
