-- Search over streams, creators and categories. Matching and ranking are full text (the
-- 'simple' configuration: titles, tags and names come in every language, so no stemming and no
-- stop words). Typos are pg_trgm's: every word that occurs in a searchable text is kept in
-- search_terms, and a query word is widened to the terms most similar to it by trigrams
-- ("minecarft" to minecraft, "musik" to music), which the full-text indexes then find. The
-- trigram work is thus over the vocabulary, never over every title: comparing a query with
-- 100,000 titles by trigrams costs hundreds of milliseconds, with the vocabulary about one.
-- PGlite loads pg_trgm at open (settlement's Database), so this runs unchanged on both engines.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- GIN's fast update parks new entries in a pending list that every search reads through until
-- a vacuum merges them; PGlite never autovacuums. The vocabulary and the names change rarely,
-- so their indexes take entries directly; the streams' indexes keep a short pending list.
CREATE TABLE search_terms (term text PRIMARY KEY);
CREATE INDEX search_terms_trgm_idx ON search_terms USING gin (term gin_trgm_ops) WITH (fastupdate = off);

-- Sorted, so two transactions adding overlapping new terms wait for each other in one order
-- instead of deadlocking. Terms are never removed: a stale one only widens a query in vain.
CREATE FUNCTION search_terms_add(tsvector) RETURNS void LANGUAGE sql AS $$
  INSERT INTO search_terms (term)
  SELECT t FROM unnest(tsvector_to_array($1)) AS t
   WHERE char_length(t) BETWEEN 3 AND 40 AND t ~ '[[:alpha:]]'
   ORDER BY t
  ON CONFLICT DO NOTHING
$$;

-- Folds tsqueries with | and &: a query word or its alternatives, and all words together.
CREATE AGGREGATE search_any (tsquery) (SFUNC = tsquery_or, STYPE = tsquery);
CREATE AGGREGATE search_all (tsquery) (SFUNC = tsquery_and, STYPE = tsquery);

-- A stream's document: title (weight A), tags (B), and its category's name and slug (C). The
-- name is in another table, which a generated column cannot read, so a trigger keeps the
-- document. It fires only when one of its inputs is written, never on viewer-count updates.
-- Categories are never renamed (only created), so documents stay true.
CREATE FUNCTION stream_search_doc(text, text[], text) RETURNS tsvector LANGUAGE sql STABLE AS $$
  SELECT setweight(to_tsvector('simple', $1), 'A')
      || setweight(to_tsvector('simple', array_to_string($2, ' ')), 'B')
      || setweight(to_tsvector('simple', COALESCE((SELECT c.name || ' ' || c.slug FROM categories c WHERE c.slug = $3), $3)), 'C')
$$;

CREATE FUNCTION streams_search_doc_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_doc := stream_search_doc(NEW.title, NEW.tags, NEW.category);
  PERFORM search_terms_add(NEW.search_doc);
  RETURN NEW;
END
$$;

ALTER TABLE streams ADD COLUMN search_doc tsvector NOT NULL DEFAULT ''::tsvector;
UPDATE streams SET search_doc = stream_search_doc(title, tags, category);
CREATE TRIGGER streams_search_doc BEFORE INSERT OR UPDATE OF title, tags, category ON streams
  FOR EACH ROW EXECUTE FUNCTION streams_search_doc_trigger();
CREATE INDEX streams_search_doc_idx ON streams USING gin (search_doc) WITH (gin_pending_list_limit = 256);
-- Viewer-count updates are not HOT (006 indexes viewers), so each adds entries here too: the
-- short pending list keeps those cheap without making searches read a long one.
-- Live streams rank first, and are few: a broad query ("music") fills its first pages from
-- this small index and ranks the thousands of ended matches only when a page reaches them.
CREATE INDEX streams_live_search_doc_idx ON streams USING gin (search_doc) WITH (gin_pending_list_limit = 256) WHERE status = 'live';

-- Creators: a handle (profiles) or a display name (user_accounts), in two tables, so each has
-- its own expression index and search takes the union of both matches.
CREATE INDEX user_accounts_name_fts_idx ON user_accounts USING gin (to_tsvector('simple', COALESCE(display_name, ''))) WITH (fastupdate = off);
CREATE INDEX profiles_handle_fts_idx ON profiles USING gin (to_tsvector('simple', handle)) WITH (fastupdate = off);
-- Categories: a short managed list; a whole-name typo ("food drnk") is also matched directly.
CREATE INDEX categories_name_fts_idx ON categories USING gin (to_tsvector('simple', name || ' ' || slug)) WITH (fastupdate = off);
CREATE INDEX categories_name_trgm_idx ON categories USING gin (name gin_trgm_ops) WITH (fastupdate = off);

-- The words of names, handles and category names join the vocabulary as they are written.
CREATE FUNCTION search_terms_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Separate statements: PL/pgSQL parses each when it first runs, and NEW has only its table's fields.
  IF TG_TABLE_NAME = 'user_accounts' THEN
    PERFORM search_terms_add(to_tsvector('simple', COALESCE(NEW.display_name, '')));
  ELSIF TG_TABLE_NAME = 'profiles' THEN
    PERFORM search_terms_add(to_tsvector('simple', NEW.handle));
  ELSE
    PERFORM search_terms_add(to_tsvector('simple', NEW.name || ' ' || NEW.slug));
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER user_accounts_search_terms AFTER INSERT OR UPDATE OF display_name ON user_accounts
  FOR EACH ROW EXECUTE FUNCTION search_terms_trigger();
CREATE TRIGGER profiles_search_terms AFTER INSERT OR UPDATE OF handle ON profiles
  FOR EACH ROW EXECUTE FUNCTION search_terms_trigger();
CREATE TRIGGER categories_search_terms AFTER INSERT OR UPDATE OF name ON categories
  FOR EACH ROW EXECUTE FUNCTION search_terms_trigger();

SELECT search_terms_add(search_doc) FROM streams;
SELECT search_terms_add(to_tsvector('simple', COALESCE(display_name, ''))) FROM user_accounts;
SELECT search_terms_add(to_tsvector('simple', handle)) FROM profiles;
SELECT search_terms_add(to_tsvector('simple', name || ' ' || slug)) FROM categories;
