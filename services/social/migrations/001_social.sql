-- The social layer: profiles, follows, chat with its moderation, and notifications. Accounts
-- are wallet sign-in's user_accounts; nothing here is a second account table. A channel is a
-- creator's account id: moderators, bans, timeouts and chat settings belong to the channel,
-- and apply to every stream of that creator.

-- A profile extends an account with what its public page shows. display_name stays on
-- user_accounts, where sign-in put it.
CREATE TABLE profiles (
  account_id  text PRIMARY KEY REFERENCES user_accounts (id) ON DELETE CASCADE,
  handle      text NOT NULL UNIQUE CHECK (handle ~ '^[a-z0-9_]{3,24}$'),
  bio         text NOT NULL DEFAULT '' CHECK (char_length(bio) <= 500),
  links       text[] NOT NULL DEFAULT '{}' CHECK (cardinality(links) <= 5),
  avatar      text,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE follows (
  follower   text NOT NULL REFERENCES user_accounts (id) ON DELETE CASCADE,
  creator    text NOT NULL REFERENCES user_accounts (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (follower, creator),
  CHECK (follower <> creator)
);
CREATE INDEX follows_creator_idx ON follows (creator, created_at DESC);
CREATE INDEX follows_follower_idx ON follows (follower, created_at DESC);

CREATE TABLE chat_channels (
  channel            text PRIMARY KEY REFERENCES user_accounts (id) ON DELETE CASCADE,
  slow_mode_seconds  integer NOT NULL DEFAULT 0 CHECK (slow_mode_seconds BETWEEN 0 AND 3600),
  followers_only     boolean NOT NULL DEFAULT false,
  follow_min_minutes integer NOT NULL DEFAULT 0 CHECK (follow_min_minutes >= 0),
  blocked_terms      text[] NOT NULL DEFAULT '{}' CHECK (cardinality(blocked_terms) <= 200)
);

CREATE TABLE chat_moderators (
  channel    text NOT NULL REFERENCES user_accounts (id) ON DELETE CASCADE,
  account    text NOT NULL REFERENCES user_accounts (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (channel, account)
);

-- One row per restricted account per channel: a ban has no end, a timeout ends at `until`.
CREATE TABLE chat_restrictions (
  channel    text NOT NULL REFERENCES user_accounts (id) ON DELETE CASCADE,
  account    text NOT NULL REFERENCES user_accounts (id) ON DELETE CASCADE,
  until      timestamptz,
  reason     text NOT NULL DEFAULT '' CHECK (char_length(reason) <= 200),
  moderator  text NOT NULL REFERENCES user_accounts (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (channel, account)
);

-- A room is one stream. channel is the stream's creator at the time, kept here so moderation
-- checks need no join.
CREATE TABLE chat_messages (
  id         bigserial PRIMARY KEY,
  room       uuid NOT NULL REFERENCES streams (id) ON DELETE CASCADE,
  author     text NOT NULL REFERENCES user_accounts (id) ON DELETE CASCADE,
  text       text NOT NULL CHECK (char_length(text) <= 500),
  reply_to   bigint REFERENCES chat_messages (id) ON DELETE SET NULL,
  mentions   text[] NOT NULL DEFAULT '{}',
  -- A tip's message: one per tip, however often its request is retried.
  tip_id     uuid UNIQUE,
  tip_amount numeric(39, 0) CHECK (tip_amount IS NULL OR tip_amount > 0),
  deleted_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (char_length(text) >= 1 OR tip_id IS NOT NULL),
  CHECK ((tip_id IS NULL) = (tip_amount IS NULL))
);
CREATE INDEX chat_messages_room_idx ON chat_messages (room, id DESC);
CREATE INDEX chat_messages_author_idx ON chat_messages (room, author, id DESC);
-- The per-account rate looks at an account's latest messages in every room.
CREATE INDEX chat_messages_rate_idx ON chat_messages (author, id DESC);

CREATE TABLE moderation_log (
  id         bigserial PRIMARY KEY,
  channel    text NOT NULL REFERENCES user_accounts (id) ON DELETE CASCADE,
  moderator  text NOT NULL REFERENCES user_accounts (id),
  action     text NOT NULL CHECK (action IN ('delete', 'timeout', 'ban', 'unban', 'settings', 'mod', 'unmod')),
  target     text REFERENCES user_accounts (id),
  detail     text NOT NULL DEFAULT '' CHECK (char_length(detail) <= 1000),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX moderation_log_channel_idx ON moderation_log (channel, id DESC);

-- One go-live notice per follower per stream, however many times a stream's start is reported.
CREATE TABLE notifications (
  id         bigserial PRIMARY KEY,
  account    text NOT NULL REFERENCES user_accounts (id) ON DELETE CASCADE,
  kind       text NOT NULL CHECK (kind IN ('live')),
  creator    text NOT NULL REFERENCES user_accounts (id) ON DELETE CASCADE,
  stream     uuid NOT NULL REFERENCES streams (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  read_at    timestamptz,
  UNIQUE (account, stream, kind)
);
CREATE INDEX notifications_account_idx ON notifications (account, id DESC);
CREATE INDEX notifications_unread_idx ON notifications (account) WHERE read_at IS NULL;
