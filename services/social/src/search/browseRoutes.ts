import Router from '@koa/router';
import type { Middleware } from 'koa';
import { z } from 'zod';
import { HttpError } from '@vilokanam/contracts/http';
import { CategoryCreate, SearchQuery } from '@vilokanam/contracts/social';
import { requireMember } from '../http/member.ts';
import { routerMiddleware } from '@vilokanam/contracts/http';
import type { SocialMetrics } from '../SocialMetrics.ts';
import type { Categories } from './Categories.ts';
import type { Search } from './Search.ts';

export interface BrowseRoutesDeps {
  categories: Categories;
  search: Search;
  metrics: SocialMetrics;
  /** Whether an account may change the managed category list. */
  isAdmin(accountId: string): boolean;
}

const Slug = z.string().regex(/^[a-z0-9-]{1,32}$/);
const CategoryPageQuery = z.object({ page: z.coerce.number().int().min(1).max(100).default(1) });

/** /browse and search: the category list, a category's live streams, search, and adding categories. */
export function browseRoutes(deps: BrowseRoutesDeps): Middleware {
  const { categories, search, metrics } = deps;
  const router = new Router({ prefix: '/api/v1' });

  router.get('/categories', async (ctx) => {
    ctx.body = { categories: await categories.list() };
  });

  router.get('/categories/:slug', async (ctx) => {
    const slug = Slug.safeParse(ctx.params.slug);
    const { page } = CategoryPageQuery.parse(ctx.query);
    const found = slug.success ? await categories.streams(slug.data, page) : undefined;
    if (!found) throw new HttpError(404, 'not_found', 'no such category');
    ctx.body = found;
  });

  router.get('/search', async (ctx) => {
    const query = SearchQuery.parse(ctx.query);
    const done = metrics.searches.startTimer();
    try {
      ctx.body = await search.search(query);
    } finally {
      done();
    }
  });

  router.post('/admin/categories', async (ctx) => {
    const member = requireMember(ctx);
    if (!deps.isAdmin(member.id)) throw new HttpError(403, 'forbidden', 'only admins add categories');
    const { slug, name } = CategoryCreate.parse(ctx.request.body ?? {});
    const created = await categories.create(slug, name);
    if (created.outcome === 'taken') throw new HttpError(409, 'conflict', 'a category with that slug or name exists');
    ctx.status = 201;
    ctx.body = created.category;
  });

  return routerMiddleware(router);
}
