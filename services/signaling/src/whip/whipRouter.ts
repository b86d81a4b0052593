// WHIP (RFC 9725) ingest and WHEP playback over HTTP: POST an offer, get 201 with the answer
// and a resource URL; PATCH that resource with trickled candidates or an ICE restart; DELETE
// it to end. Browser clients on other sites may call it (CORS): the credential is a Bearer
// token, never a cookie.
import Router from '@koa/router';
import type Koa from 'koa';
import type { Context } from 'koa';
import { z } from 'zod';
import type { ClientAddress } from '@vilokanam/contracts/client-address';
import { bearer } from '../http/bearer.ts';
import { HttpError } from '../http/errors.ts';
import { routerMiddleware } from '@vilokanam/contracts/http';
import { startStream, stopStream, type LifecycleDeps } from '../http/streamLifecycle.ts';
import type { StreamRecord } from '../StreamStore.ts';
import type { MediaGrant, TokenIssuer } from '../TokenIssuer.ts';
import { assertSends, fragmentCredentials, parseOffer, restartFragment } from './sdp.ts';
import { WhepViewer, type WhepDeps } from './WhepViewer.ts';
import { WhipPublisher } from './WhipPublisher.ts';
import { WhipResources } from './WhipResources.ts';

export interface WhipRouterDeps extends WhepDeps, LifecycleDeps {
  tokens: TokenIssuer;
  clientAddress: ClientAddress;
  /** WHIP and WHEP resources one client address may hold at once. */
  resourcesPerIp: number;
}

const StreamId = z.uuid();
const ResourceId = z.uuid();
const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST, PATCH, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, If-Match',
  'Access-Control-Expose-Headers': 'Location, ETag, Link, Accept-Patch',
  'Access-Control-Max-Age': '600',
};

export function whipRoutes(deps: WhipRouterDeps): Koa.Middleware {
  const api = new WhipApi(deps);
  const router = new Router();
  for (const kind of ['whip', 'whep'] as const) {
    router.options(`/${kind}/:stream`, api.options);
    router.options(`/${kind}/:stream/:resource`, api.options);
    router.patch(`/${kind}/:stream/:resource`, api.patch);
    router.delete(`/${kind}/:stream/:resource`, api.delete);
  }
  router.post('/whip/:stream', api.publish);
  router.post('/whep/:stream', api.view);
  const routes = routerMiddleware(router);
  return async (ctx, next) => {
    if (!ctx.path.startsWith('/whip/') && !ctx.path.startsWith('/whep/')) return next();
    ctx.set(CORS);
    await routes(ctx, next);
  };
}

class WhipApi {
  readonly #d: WhipRouterDeps;
  readonly #resources: WhipResources;
  /** One offer at a time per stream, so two publishers cannot both see the stream free. */
  readonly #publishing = new Map<string, Promise<unknown>>();

  constructor(deps: WhipRouterDeps) {
    this.#d = deps;
    this.#resources = new WhipResources(deps.resourcesPerIp);
  }

  options = (ctx: Context): void => {
    ctx.set('Accept-Post', 'application/sdp');
    // A broadcaster page on a public site may reach a platform on a private address (a LAN box).
    if (ctx.get('access-control-request-private-network') === 'true') ctx.set('Access-Control-Allow-Private-Network', 'true');
    ctx.status = 204;
  };

  publish = async (ctx: Context): Promise<void> => {
    const stream = await this.#stream(ctx);
    if (!(await this.#d.store.verifyKey(stream.id, bearer(ctx) ?? ''))) throw new HttpError(401, 'unauthorized', 'a stream key is needed: Authorization: Bearer <stream key>');
    const offer = parseOffer(sdpBody(ctx));
    assertSends(offer);
    const ip = this.#d.clientAddress(ctx.req);
    const publisher = await this.#serialized(stream.id, async () => {
      if (this.#d.hub.hasPublisher(stream.id)) throw new HttpError(409, 'conflict', 'the stream already has a publisher');
      const wasLive = stream.status === 'live';
      const live = wasLive ? stream : await startStream(this.#d, stream);
      try {
        return await this.#resources.add(ip, 'whip', offer.iceUfrag, async () => {
          const { publisher, answer } = await WhipPublisher.open(this.#d, live, offer);
          return { session: publisher, answer };
        });
      } catch (err) {
        // An offer that cannot be published leaves the stream as it found it.
        if (!wasLive) await stopStream(this.#d, live);
        throw err;
      }
    });
    this.#created(ctx, 'whip', stream.id, publisher.id, publisher.answer);
  };

  view = async (ctx: Context): Promise<void> => {
    const stream = await this.#stream(ctx);
    if (stream.status !== 'live') throw new HttpError(409, 'stream_not_live', 'the stream is not live');
    const grant = await this.#viewerGrant(ctx, stream);
    const offer = parseOffer(sdpBody(ctx));
    const ip = this.#d.clientAddress(ctx.req);
    const viewer = await this.#resources.add(ip, 'whep', offer.iceUfrag, async () => {
      const { viewer: session, answer } = await WhepViewer.open(this.#d, stream, grant, offer);
      return { session, answer };
    });
    this.#created(ctx, 'whep', stream.id, viewer.id, viewer.answer);
  };

  /** Trickled candidates need nothing (the server is ICE-lite); new credentials restart ICE. */
  patch = async (ctx: Context): Promise<void> => {
    const resource = await this.#resource(ctx);
    if (!ctx.is('application/trickle-ice-sdpfrag')) throw new HttpError(415, 'bad_request', 'PATCH takes application/trickle-ice-sdpfrag');
    const body = typeof ctx.request.body === 'string' ? ctx.request.body : '';
    const { ufrag } = fragmentCredentials(body);
    if (!ufrag || ufrag === resource.remoteUfrag) {
      ctx.status = 204;
      return;
    }
    resource.remoteUfrag = ufrag;
    ctx.type = 'application/trickle-ice-sdpfrag';
    ctx.body = restartFragment(await resource.session.restartIce());
    ctx.status = 200;
  };

  delete = async (ctx: Context): Promise<void> => {
    const resource = await this.#resource(ctx, { ended: true });
    resource.session.close('deleted by the client');
    // A WHIP DELETE is the publisher pressing Stop: the stream ends now, not after the grace.
    if (resource.session instanceof WhipPublisher) {
      const stream = await this.#d.store.get(resource.session.streamId);
      if (stream?.status === 'live' && !this.#d.hub.hasPublisher(stream.id)) await stopStream(this.#d, stream);
    }
    ctx.status = 200;
  };

  async #stream(ctx: Context): Promise<StreamRecord> {
    const id = StreamId.safeParse(ctx.params.stream);
    const stream = id.success ? await this.#d.store.get(id.data) : undefined;
    if (!stream) throw new HttpError(404, 'not_found', 'no such stream');
    return stream;
  }

  /** A paid stream needs a viewer token as the Bearer; a free one takes anybody, or a token. */
  async #viewerGrant(ctx: Context, stream: StreamRecord): Promise<MediaGrant> {
    const token = bearer(ctx);
    if (!token) {
      if (stream.pricePerSecond > 0n) throw new HttpError(401, 'unauthorized', 'a paid stream needs a viewer token: Authorization: Bearer <token>');
      return { streamId: stream.id, role: 'viewer' };
    }
    const grant = await this.#d.tokens.verify(token);
    if (grant.streamId !== stream.id || grant.role !== 'viewer') throw new HttpError(403, 'forbidden', 'the token is not a viewer token for this stream');
    return grant;
  }

  /** The resource the path names; with `ended`, also one that ended moments ago. */
  async #resource(ctx: Context, opts: { ended?: boolean } = {}) {
    const id = ResourceId.safeParse(ctx.params.resource);
    const resource = id.success ? (this.#resources.get(id.data) ?? (opts.ended ? this.#resources.ended(id.data) : undefined)) : undefined;
    if (!resource || resource.session.streamId !== ctx.params.stream || resource.kind !== ctx.path.split('/')[1]) throw new HttpError(404, 'not_found', 'no such resource');
    // Only the publisher holding the stream key may change or end its resource.
    if (resource.session instanceof WhipPublisher && !(await this.#d.store.verifyKey(resource.session.streamId, bearer(ctx) ?? ''))) {
      throw new HttpError(401, 'unauthorized', 'a stream key is needed: Authorization: Bearer <stream key>');
    }
    return resource;
  }

  #created(ctx: Context, kind: 'whip' | 'whep', streamId: string, id: string, answer: string): void {
    ctx.status = 201;
    ctx.type = 'application/sdp';
    ctx.set('Location', `/${kind}/${streamId}/${id}`);
    ctx.set('Accept-Patch', 'application/trickle-ice-sdpfrag');
    ctx.set('ETag', `"${id}"`);
    ctx.body = answer;
  }

  #serialized<T>(streamId: string, fn: () => Promise<T>): Promise<T> {
    const next = (this.#publishing.get(streamId) ?? Promise.resolve()).then(fn, fn);
    const tail = next.catch(() => undefined);
    this.#publishing.set(streamId, tail);
    void tail.then(() => {
      if (this.#publishing.get(streamId) === tail) this.#publishing.delete(streamId);
    });
    return next;
  }
}


function sdpBody(ctx: Context): string {
  if (!ctx.is('application/sdp')) throw new HttpError(415, 'bad_request', 'the offer must be application/sdp');
  const body = ctx.request.body;
  if (typeof body !== 'string' || body.length === 0) throw new HttpError(422, 'bad_request', 'the offer is empty');
  return body;
}
