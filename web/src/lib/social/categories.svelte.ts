// The managed category list (GET /api/v1/categories), loaded once per page load and shared: the
// studio's picker offers it, and cards show a stream's category by name rather than by slug.
import type { Category } from '@vilokanam/contracts/social';
import { getCategories } from './api.ts';

const RETRY_MS = 5_000;

class Categories {
  list = $state.raw<Category[] | null>(null);
  #loading: Promise<Category[]> | null = null;

  /** Loads once; a failure is retried on the next call after a pause, never in a tight loop. */
  load(): Promise<Category[]> {
    this.#loading ??= getCategories().then(
      (v) => (this.list = v),
      (err: unknown) => {
        setTimeout(() => (this.#loading = null), RETRY_MS);
        throw err;
      },
    );
    return this.#loading;
  }

  /** A category's name; the slug itself until the list is in (or for a slug it lacks). */
  nameOf(slug: string): string {
    return this.list?.find((c) => c.slug === slug)?.name ?? slug;
  }
}

export const categories = new Categories();
