import type { Spendable } from '@vilokanam/settlement';
import { notEnough } from '../billing/notEnough.ts';
import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { Tags } from '@vilokanam/contracts/social';
import type { StreamHub } from '../ws/StreamHub.ts';
import type { StreamRecord, StreamStore } from '../StreamStore.ts';
import { toView } from '../StreamStore.ts';
import type { TokenIssuer } from '../TokenIssuer.ts';
import type { AccountSessions } from '../ws/AccountSessions.ts';
import { bearer } from './bearer.ts';
import { HttpError } from './errors.ts';
import { startStream, stopStream, tooManyStreams } from './streamLifecycle.ts';

const Planck = z.string().regex(/^(0|[1-9][0-9]{0,38})$/, 'planck as a decimal string of digits');
const CreateStream = z.object({
  title: z.string().trim().min(1).max(140),
  /** A slug (or name) from GET /api/v1/categories. */
  category: z.string().trim().min(1).max(64),
  tags: Tags,
  pricePerSecond: Planck.optional(),
  recording: z.boolean().optional(),
});
const ListQuery = z.object({ status: z.enum(['created', 'live', 'ended']).optional() });
const TokenRequest = z.object({
  role: z.enum(['publisher', 'viewer']),
  /** The price the viewer was shown: if it changed since, they must see the new one first. */
  pricePerSecond: Planck.optional(),
});
const StreamId = z.uuid({ message: 'stream id must be a UUID' });

export interface StreamsDeps {
  store: StreamStore;
  /** Streams one account may have created and not ended. */
  streamsPerAccount: number;
  hub: StreamHub;
  tokens: TokenIssuer;
  pricing: {
    maxPricePerSecond: bigint;
    /** A paid stream's viewer needs this many seconds' worth of balance to start watching. */
    minPrepaidSeconds: number;
    /** The viewer's spendable balance in planck. */
    /** What the account may spend on the stream: its balance, or less under a spending cap it set. */
    spendable(accountId: string, streamId: string): Promise<Spendable>;
  };
  /** Sessions the account holds now: a new one must be covered on top of them. */
  accounts: AccountSessions;
  /** The managed category list: a slug or name to its slug. */
  categories: { resolve(input: string): Promise<string | undefined> };
}

/** The routes' work, one method per route; the router below only maps paths to them. */
class StreamsApi {
  readonly #d: StreamsDeps;

  constructor(deps: StreamsDeps) {
    this.#d = deps;
  }

  create = async (ctx: Context): Promise<void> => {
    const { store, pricing, streamsPerAccount } = this.#d;
    // Every stream has an owner: it is what bounds how many one person can hold open.
    const account = ctx.state.account;
    if (!account) throw new HttpError(401, 'unauthorized', 'sign in to create a stream');
    const input = CreateStream.parse(ctx.request.body ?? {});
    const price = BigInt(input.pricePerSecond ?? '0');
    if (price > pricing.maxPricePerSecond) throw new HttpError(400, 'bad_request', `pricePerSecond: at most ${pricing.maxPricePerSecond} planck`);
    const category = await this.#d.categories.resolve(input.category);
    if (!category) throw new HttpError(400, 'bad_request', 'category: pick one of GET /api/v1/categories');
    const tags = [...new Set(input.tags)];
    const created = await store.create({ title: input.title, category, tags, creatorId: account.id, pricePerSecond: price, recording: input.recording ?? false, maxOpen: streamsPerAccount });
    if (!created) throw tooManyStreams(streamsPerAccount);
    ctx.status = 201;
    ctx.body = { stream: toView(created.stream, 0), streamKey: created.streamKey };
  };

  list = async (ctx: Context): Promise<void> => {
    const { status } = ListQuery.parse(ctx.query);
    const streams = await this.#d.store.list(status);
    ctx.body = { streams: streams.map((s) => toView(s, this.#d.hub.viewerCount(s.id))) };
  };

  get = async (ctx: Context): Promise<void> => {
    const stream = await this.#load(ctx);
    ctx.body = { stream: toView(stream, this.#d.hub.viewerCount(stream.id)) };
  };

  start = async (ctx: Context): Promise<void> => {
    const stream = await this.#load(ctx);
    await this.#requireKey(ctx, stream.id);
    const live = await startStream(this.#d, stream);
    ctx.body = { stream: toView(live, this.#d.hub.viewerCount(live.id)) };
  };

  stop = async (ctx: Context): Promise<void> => {
    const stream = await this.#load(ctx);
    await this.#requireKey(ctx, stream.id);
    ctx.body = { stream: toView(await stopStream(this.#d, stream), 0) };
  };

  token = async (ctx: Context): Promise<void> => {
    const stream = await this.#load(ctx);
    const { role, pricePerSecond: shown } = TokenRequest.parse(ctx.request.body ?? {});
    if (role === 'publisher') {
      await this.#requireKey(ctx, stream.id);
      const { token, expiresAt } = await this.#d.tokens.issue({ streamId: stream.id, role });
      ctx.body = { token, expiresAt: expiresAt.toISOString() };
      return;
    }
    if (stream.status !== 'live') throw new HttpError(409, 'stream_not_live', stream.status === 'ended' ? 'the stream has ended' : 'the stream is not live yet');
    const price = stream.pricePerSecond;
    if (shown !== undefined && BigInt(shown) !== price) throw new HttpError(409, 'conflict', `the price is now ${price} planck per second`);
    const account = ctx.state.account;
    if (price > 0n) await this.#requireBalance(account?.id, stream.id, price);
    const { token, expiresAt } = await this.#d.tokens.issue({ streamId: stream.id, role, account: account?.id, pricePerSecond: price });
    ctx.body = { token, expiresAt: expiresAt.toISOString(), pricePerSecond: price.toString() };
  };

  /** The same rule the join applies: the balance covers this session and those already open. */
  async #requireBalance(accountId: string | undefined, streamId: string, price: bigint): Promise<void> {
    const { accounts, pricing } = this.#d;
    if (!accountId) throw new HttpError(401, 'unauthorized', 'sign in to watch a paid stream');
    const needed = ((await accounts.pricePerSecond(accountId)) + price) * BigInt(Math.max(1, pricing.minPrepaidSeconds));
    const spendable = await pricing.spendable(accountId, streamId);
    if (spendable.amount < needed) throw new HttpError(402, 'payment_required', notEnough(spendable, needed, pricing.minPrepaidSeconds));
  }

  async #load(ctx: Context): Promise<StreamRecord> {
    const id = StreamId.safeParse(ctx.params.id);
    const stream = id.success ? await this.#d.store.get(id.data) : undefined;
    if (!stream) throw new HttpError(404, 'not_found', 'stream not found');
    return stream;
  }

  async #requireKey(ctx: Context, id: string): Promise<void> {
    const key = bearer(ctx);
    if (!key) throw new HttpError(401, 'unauthorized', 'stream key required (Authorization: Bearer <key>)');
    if (!(await this.#d.store.verifyKey(id, key))) throw new HttpError(403, 'forbidden', 'stream key does not match');
  }
}

export function streamsRouter(deps: StreamsDeps): Router {
  const api = new StreamsApi(deps);
  const router = new Router({ prefix: '/api/v1/streams' });
  router.post('/', api.create);
  router.get('/', api.list);
  router.get('/:id', api.get);
  router.post('/:id/start', api.start);
  router.post('/:id/stop', api.stop);
  router.post('/:id/tokens', api.token);
  return router;
}

