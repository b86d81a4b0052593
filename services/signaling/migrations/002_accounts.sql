-- Wallet sign-in: accounts, one-time challenges and server-side sessions.
--
-- The table is user_accounts, not accounts: services/settlement's 001_ledger creates
-- `accounts` (ledger owners) and both services may share one database. A user account's id
-- is meant to be the owner id settlement uses for that person's viewer/creator ledger.
--
-- id is the 32-byte public key as lowercase 0x hex: it does not change with the SS58 prefix
-- a wallet happens to display, and chain/ accepts it wherever it takes an address.
-- address is the same key as SS58 with the platform's prefix, for display and payouts.
CREATE TABLE user_accounts (
  id            text PRIMARY KEY CHECK (id ~ '^0x[0-9a-f]{64}$'),
  address       text NOT NULL CHECK (char_length(address) BETWEEN 40 AND 64),
  display_name  text CHECK (display_name IS NULL OR char_length(display_name) BETWEEN 1 AND 64),
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_login_at timestamptz NOT NULL DEFAULT now()
);

-- A challenge is deleted when used, so it can sign in once. Expired rows are swept when new
-- challenges are issued; the expiry check in the DELETE is what enforces the deadline.
CREATE TABLE auth_challenges (
  nonce      text PRIMARY KEY CHECK (nonce ~ '^[0-9a-f]{32}$'),
  account_id text NOT NULL CHECK (account_id ~ '^0x[0-9a-f]{64}$'),
  message    text NOT NULL CHECK (char_length(message) <= 512),
  expires_at timestamptz NOT NULL
);
CREATE INDEX auth_challenges_expires_idx ON auth_challenges (expires_at);

-- The cookie carries a signed token naming one of these rows, so signing out (deleting the
-- row) ends that session even though the token itself has not expired.
CREATE TABLE auth_sessions (
  id         uuid PRIMARY KEY,
  account_id text NOT NULL REFERENCES user_accounts (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX auth_sessions_account_idx ON auth_sessions (account_id);
CREATE INDEX auth_sessions_expires_idx ON auth_sessions (expires_at);
