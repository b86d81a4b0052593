-- A viewer's own limits on spending: at most `per_day` in a UTC day across all streams, and at
-- most `per_stream` on any one stream in a UTC day. Settlement bills no further, as it bills no
-- further than a balance: the window is cut to the seconds the cap allows (docs/money.md).
CREATE TABLE spending_caps (
  account    text PRIMARY KEY REFERENCES accounts (id),
  per_day    numeric(39, 0) CHECK (per_day > 0),
  per_stream numeric(39, 0) CHECK (per_stream > 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- What each viewer spent per UTC day, in total (stream '') and per stream: kept for every
-- viewer by the watch transaction, under the viewer's row lock, so a cap set mid-day counts
-- the whole day and concurrent settlers never miscount.
CREATE TABLE spending_days (
  account text NOT NULL,
  day     date NOT NULL,
  stream  text NOT NULL,
  amount  numeric(39, 0) NOT NULL CHECK (amount >= 0),
  PRIMARY KEY (account, day, stream)
);

-- A viewer's statement (every window billed to them, by time) without scanning every window.
CREATE INDEX settled_windows_viewer_idx ON settled_windows (viewer, settled_at);
