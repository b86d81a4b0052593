-- Images and emotes. Images live in the database rather than on a disk, so every replica serves
-- every image and a backup holds them all. Only processed images are stored (avatars and emotes,
-- re-encoded by the service), which is what keeps them small enough for a row.

-- key is the hex SHA-256 of the stored bytes: identical images share a row, and a URL that names
-- its content can be cached forever. created_at is refreshed whenever an upload produces an
-- existing key, so the sweep of unreferenced images never takes one an upload is about to use.
CREATE TABLE images (
  key          text PRIMARY KEY CHECK (key ~ '^[0-9a-f]{64}$'),
  content_type text NOT NULL CHECK (content_type IN ('image/webp', 'image/png', 'image/jpeg', 'image/gif')),
  bytes        bytea NOT NULL CHECK (octet_length(bytes) BETWEEN 1 AND 524288),
  created_at   timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE profiles ADD CONSTRAINT profiles_avatar_image_fk FOREIGN KEY (avatar) REFERENCES images (key);
CREATE INDEX profiles_avatar_idx ON profiles (avatar) WHERE avatar IS NOT NULL;

-- channel NULL is the platform set, which every chat room offers. How many emotes one channel may
-- have is bounded by the service, which counts under a lock on the channel's account row.
-- Codes are unique per channel whatever their case, so :Hype and :hype cannot both exist.
CREATE TABLE emotes (
  id         bigserial PRIMARY KEY,
  channel    text REFERENCES user_accounts (id) ON DELETE CASCADE,
  code       text NOT NULL CHECK (code ~ '^[A-Za-z][A-Za-z0-9]{2,19}$'),
  image      text NOT NULL REFERENCES images (key),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX emotes_platform_code_idx ON emotes (lower(code)) WHERE channel IS NULL;
CREATE UNIQUE INDEX emotes_channel_code_idx ON emotes (channel, lower(code)) WHERE channel IS NOT NULL;
CREATE INDEX emotes_image_idx ON emotes (image);
