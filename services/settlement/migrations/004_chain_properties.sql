-- The chain settlement runs against, as it describes itself (registry properties): the pages
-- read the token's symbol and decimals from here to show amounts in tokens, so they never
-- guess them from constants. One row, rewritten whenever settlement connects.
CREATE TABLE chain_properties (
  singleton           boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  genesis_hash        text NOT NULL CHECK (genesis_hash ~ '^0x[0-9a-f]{64}$'),
  spec_name           text NOT NULL,
  token_symbol        text NOT NULL CHECK (token_symbol ~ '^[A-Za-z0-9]{1,12}$'),
  token_decimals      integer NOT NULL CHECK (token_decimals BETWEEN 0 AND 30),
  ss58_prefix         integer NOT NULL CHECK (ss58_prefix BETWEEN 0 AND 16383),
  existential_deposit numeric(39, 0) NOT NULL CHECK (existential_deposit >= 0),
  -- What one withdrawal (a one-transfer payout) costs in network fees, estimated on connect.
  withdrawal_fee      numeric(39, 0) CHECK (withdrawal_fee >= 0),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
