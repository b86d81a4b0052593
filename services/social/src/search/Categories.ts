import type { Category, CategoryStreams } from '@vilokanam/contracts/social';
import type { Queryable } from '@vilokanam/settlement/db';
import { BROWSE_COLUMNS, BROWSE_JOINS, CATEGORY_COLUMNS, pageWindow, splitPage, toBrowseStream, toCategory, type BrowseRow, type CategoryRow } from './browseStreams.ts';

const UNIQUE_VIOLATION = '23505';

export type CreateOutcome = { outcome: 'created'; category: Category } | { outcome: 'taken' };

/**
 * The managed list of categories a creator picks from when going live, and what /browse shows:
 * categories by live viewers, and each category's live streams by viewers.
 */
export class Categories {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** Every category, the most watched first; categories with nobody live follow by name. */
  async list(): Promise<Category[]> {
    const rows = await this.#db.query<CategoryRow>(
      `SELECT ${CATEGORY_COLUMNS} FROM categories c ORDER BY viewers DESC, live_streams DESC, c.name`,
    );
    return rows.map(toCategory);
  }

  /** One category, or undefined for a slug that names none. */
  async get(slug: string): Promise<Category | undefined> {
    const rows = await this.#db.query<CategoryRow>(`SELECT ${CATEGORY_COLUMNS} FROM categories c WHERE c.slug = $1`, [slug]);
    return rows[0] && toCategory(rows[0]);
  }

  /** A category and one page (1-based) of its live streams, most watched first; undefined if unknown. */
  async streams(slug: string, page: number): Promise<CategoryStreams | undefined> {
    const category = await this.get(slug);
    if (!category) return undefined;
    const { offset, limit } = pageWindow(page);
    const rows = await this.#db.query<BrowseRow>(
      `SELECT ${BROWSE_COLUMNS} FROM streams s ${BROWSE_JOINS}
        WHERE s.category = $1 AND s.status = 'live'
        ORDER BY s.viewers DESC, s.started_at DESC NULLS LAST, s.id
        LIMIT $2 OFFSET $3`,
      [category.slug, limit, offset],
    );
    const out = splitPage(rows);
    return { category, streams: out.rows.map(toBrowseStream), page, more: out.more };
  }

  /**
   * The slug a creator's input names, by slug or by name, ignoring case and surrounding space;
   * undefined when it names no category. Signaling validates stream creation with it.
   */
  async resolve(input: string): Promise<string | undefined> {
    const wanted = input.trim().toLowerCase();
    if (wanted.length === 0 || wanted.length > 64) return undefined;
    const rows = await this.#db.query<{ slug: string }>(
      `SELECT slug FROM categories WHERE slug = $1 OR lower(name) = $1 ORDER BY slug = $1 DESC LIMIT 1`,
      [wanted],
    );
    return rows[0]?.slug;
  }

  /** Adds a category to the managed list (admins only; the route checks). Slug and name are unique. */
  async create(slug: string, name: string): Promise<CreateOutcome> {
    try {
      // A name that differs from another only in case would make resolve() ambiguous.
      const rows = await this.#db.query<{ slug: string }>(
        `INSERT INTO categories (slug, name) SELECT $1, $2
          WHERE NOT EXISTS (SELECT 1 FROM categories WHERE lower(name) = lower($2) OR slug = $1)
          RETURNING slug`,
        [slug, name],
      );
      if (rows.length === 0) return { outcome: 'taken' };
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) return { outcome: 'taken' };
      throw err;
    }
    return { outcome: 'created', category: { slug, name, liveStreams: 0, viewers: 0 } };
  }
}
