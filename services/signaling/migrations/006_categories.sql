-- Streams pick their category from a managed list, carry free tags, and keep their live and
-- peak viewer counts, which browse orders by and creator pages show. Search (social's
-- migrations) indexes titles, tags, category names and profiles.
CREATE TABLE categories (
  slug       text PRIMARY KEY CHECK (slug ~ '^[a-z0-9-]{1,32}$'),
  name       text NOT NULL UNIQUE CHECK (char_length(name) BETWEEN 1 AND 64),
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO categories (slug, name) VALUES
  ('games', 'Games'), ('music', 'Music'), ('tech', 'Tech'), ('talk', 'Just Talking'),
  ('art', 'Art'), ('education', 'Education'), ('sports', 'Sports'), ('irl', 'IRL'),
  ('cooking', 'Food & Drink'), ('science', 'Science'), ('other', 'Other');

-- A category typed before the list existed becomes the slug it names, or 'other'.
UPDATE streams s SET category = COALESCE(
  (SELECT c.slug FROM categories c WHERE lower(c.slug) = lower(s.category) OR lower(c.name) = lower(s.category)),
  'other');
ALTER TABLE streams ADD CONSTRAINT streams_category_fk FOREIGN KEY (category) REFERENCES categories (slug);

ALTER TABLE streams ADD COLUMN tags text[] NOT NULL DEFAULT '{}';
ALTER TABLE streams ADD CONSTRAINT streams_tags_bound CHECK (cardinality(tags) <= 10);
ALTER TABLE streams ADD COLUMN viewers integer NOT NULL DEFAULT 0 CHECK (viewers >= 0);
ALTER TABLE streams ADD COLUMN peak_viewers integer NOT NULL DEFAULT 0 CHECK (peak_viewers >= 0);
CREATE INDEX streams_live_category_idx ON streams (category, viewers DESC) WHERE status = 'live';
