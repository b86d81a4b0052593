import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { SfuError, type SfuControl } from '@vilokanam/sfu-node';
import type { ViewerBilling } from '../billing/ViewerBilling.ts';
import type { Fleet } from '../fleet/Fleet.ts';
import type { StreamRoutes } from '../fleet/StreamRoutes.ts';
import type { SignalingMetrics } from '../metrics.ts';
import {
  PROTOCOL_VERSION,
  RequestFrame,
  RequestSchemas,
  type ErrorCode,
  type NotificationMap,
  type RequestData,
  type RequestType,
  type ResponseFrame,
  type ResponseMap,
  type Role,
} from '../protocol.ts';
import type { StreamStore } from '../StreamStore.ts';
import { TokenError, type TokenIssuer } from '../TokenIssuer.ts';
import type { HubMember, StreamHub } from './StreamHub.ts';
import { TokenBucket } from './TokenBucket.ts';

export class WsError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export interface SessionDeps {
  fleet: Fleet;
  routes: StreamRoutes;
  hub: StreamHub;
  store: StreamStore;
  tokens: TokenIssuer;
  billing: ViewerBilling;
  log: Logger;
  metrics: SignalingMetrics;
}

export const TOP_UP_URL = '/wallet';

const MAX_TRANSPORTS = 4;

type Handlers = { [T in RequestType]: (data: RequestData<T>) => Promise<ResponseMap[T]> };

/** One browser tab: its grant, and every media object it created, freed when it goes. */
export class Session implements HubMember {
  readonly id = randomUUID();
  #streamId: string | undefined;
  #role: Role | undefined;
  #nodeId: string | undefined;
  #sfu: SfuControl | undefined;
  readonly #socket: WebSocket;
  readonly #deps: SessionDeps;
  readonly #log: Logger;
  readonly #transports = new Set<string>();
  readonly #producers = new Set<string>();
  readonly #consumers = new Set<string>();
  readonly #bucket = new TokenBucket(60, 30);
  #closed = false;
  /** A paid session's record is open in billing and must be closed when the tab goes. */
  #billed = false;
  #overdrawn = false;

  constructor(socket: WebSocket, deps: SessionDeps) {
    this.#socket = socket;
    this.#deps = deps;
    this.#log = deps.log.child({ session: this.id });
    socket.on('message', (raw, isBinary) => void this.#onMessage(raw.toString(), isBinary));
    socket.on('close', () => this.#onClose());
    socket.on('error', (err) => this.#log.warn({ err }, 'socket error'));
  }

  get role(): Role | undefined {
    return this.#role;
  }

  get nodeId(): string | undefined {
    return this.#nodeId;
  }

  /** The node this tab joined; only reachable after join. */
  get #node(): SfuControl {
    if (!this.#sfu) throw new WsError('forbidden', 'join a stream first');
    return this.#sfu;
  }

  notify<K extends keyof NotificationMap>(event: K, data: NotificationMap[K]): void {
    this.#send({ v: PROTOCOL_VERSION, event, data });
  }

  disconnect(code: number, reason: string): void {
    this.#socket.close(code, reason);
  }

  /** Settlement could not bill this session: its media stops here, at the serving node. */
  overdraft(): void {
    if (this.#overdrawn || this.#closed) return;
    this.#overdrawn = true;
    for (const id of this.#consumers) {
      this.#sfu?.pauseConsumer(id).catch((err: unknown) => this.#log.warn({ consumerId: id, err: (err as Error).message }, 'pause failed'));
    }
    this.#log.info({ streamId: this.#streamId }, 'overdrawn: media stopped');
    this.notify('overdraft', { message: 'Your balance ran out, so the stream is paused. Top up to keep watching.', topUpUrl: TOP_UP_URL });
  }

  #refuseIfOverdrawn(): void {
    if (this.#overdrawn) throw new WsError('payment_required', 'your balance ran out: top up to keep watching');
  }

  async #onMessage(raw: string, isBinary: boolean): Promise<void> {
    let id: number | null = null;
    let type = 'invalid';
    try {
      if (isBinary) throw new WsError('bad_request', 'binary frames are not accepted');
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        throw new WsError('bad_request', 'frame is not valid JSON');
      }
      const maybeV = (json as { v?: unknown })?.v;
      if (maybeV !== PROTOCOL_VERSION) {
        id = typeof (json as { id?: unknown })?.id === 'number' ? (json as { id: number }).id : null;
        throw new WsError('unsupported_version', `protocol version ${PROTOCOL_VERSION} required`);
      }
      const frame = RequestFrame.parse(json);
      id = frame.id;
      if (!(frame.type in RequestSchemas)) throw new WsError('unknown_type', `unknown request type "${frame.type}"`);
      type = frame.type;
      if (!this.#bucket.take()) throw new WsError('rate_limited', 'too many requests');
      const data = await this.#dispatch(frame.type as RequestType, frame.data);
      this.#deps.metrics.requests.inc({ type, outcome: 'ok' });
      this.#send({ v: PROTOCOL_VERSION, id: frame.id, ok: true, data });
    } catch (err) {
      const error = this.#toError(err);
      this.#deps.metrics.requests.inc({ type, outcome: error.code });
      this.#send({ v: PROTOCOL_VERSION, id, ok: false, error });
    }
  }

  #dispatch<T extends RequestType>(type: T, raw: unknown): Promise<ResponseMap[T]> {
    const data = (RequestSchemas[type] as z.ZodType).parse(raw ?? {}) as RequestData<T>;
    if (type !== 'join' && !this.#streamId) throw new WsError('forbidden', 'join a stream first');
    return (this.#handlers[type] as (d: RequestData<T>) => Promise<ResponseMap[T]>)(data);
  }

  readonly #handlers: Handlers = {
    join: async ({ token }) => {
      if (this.#streamId) throw new WsError('conflict', 'already joined');
      const grant = await this.#deps.tokens.verify(token);
      const stream = await this.#deps.store.get(grant.streamId);
      if (!stream) throw new WsError('not_found', 'stream not found');
      if (stream.status === 'ended') throw new WsError('stream_not_live', 'the stream has ended');
      if (grant.role === 'publisher' && stream.status !== 'live') {
        throw new WsError('stream_not_live', 'start the stream before publishing');
      }
      const price = grant.role === 'viewer' ? (grant.pricePerSecond ?? stream.pricePerSecond) : 0n;
      if (price > 0n) {
        // The price in the token is the one the viewer was shown; the session keeps it.
        if (!grant.account) throw new WsError('unauthorized', 'sign in to watch a paid stream');
        if (!stream.creatorId) throw new WsError('internal', 'paid stream without a creator');
        await this.#deps.billing.open({ sessionId: this.id, viewer: grant.account, creator: stream.creatorId, stream: stream.id, pricePerSecond: price, joinedAt: Date.now() });
        this.#billed = true;
      }
      // Publishers always go to the origin; viewers wherever placement finds room.
      const nodeId = await this.#placement(grant.role, stream.id);
      const sfu = this.#deps.fleet.control(nodeId);
      if (!sfu) throw new WsError('internal', 'media node went away');
      const routerRtpCapabilities = await sfu.routerCapabilities(stream.id);
      const producers = grant.role === 'viewer' ? await sfu.producers(stream.id) : [];
      if (this.#closed) throw new WsError('conflict', 'socket closed during join');
      this.#streamId = stream.id;
      this.#role = grant.role;
      this.#nodeId = nodeId;
      this.#sfu = sfu;
      this.#deps.hub.join(this, stream.id);
      if (grant.role === 'viewer') this.#deps.routes.viewerJoined(stream.id, nodeId);
      this.#log.info({ streamId: stream.id, role: grant.role, nodeId }, 'joined');
      return {
        role: grant.role,
        streamId: stream.id,
        sessionId: this.id,
        pricePerSecond: price.toString(),
        routerRtpCapabilities,
        producers,
        viewers: this.#deps.hub.viewerCount(stream.id),
      };
    },
    createTransport: async ({ direction }) => {
      const wanted = this.#role === 'publisher' ? 'send' : 'recv';
      if (direction !== wanted) throw new WsError('forbidden', `a ${this.#role} may only create ${wanted} transports`);
      if (this.#transports.size >= MAX_TRANSPORTS) throw new WsError('conflict', 'too many transports');
      // A viewer's transport is metered under this session's id.
      const params = await this.#node.createTransport(this.#streamId!, direction, this.#role === 'viewer' ? { sessionId: this.id } : {});
      if (this.#closed) {
        this.#node.closeTransport(params.id);
        throw new WsError('conflict', 'socket closed');
      }
      this.#transports.add(params.id);
      this.#deps.hub.ownTransport(params.id, this);
      return params;
    },
    connectTransport: async ({ transportId, dtlsParameters }) => {
      this.#own(this.#transports, transportId, 'transport');
      await this.#node.connectTransport(transportId, dtlsParameters);
      return {};
    },
    restartIce: async ({ transportId }) => {
      this.#own(this.#transports, transportId, 'transport');
      return { iceParameters: await this.#node.restartIce(transportId) };
    },
    produce: async ({ transportId, kind, rtpParameters, appData }) => {
      if (this.#role !== 'publisher') throw new WsError('forbidden', 'only the publisher may produce');
      this.#own(this.#transports, transportId, 'transport');
      const { id } = await this.#node.produce(transportId, kind, rtpParameters, appData);
      this.#producers.add(id);
      // Viewers hear of it per node, as it becomes consumable there (edges after piping).
      void this.#deps.routes.producerAdded(this.#streamId!, id, kind);
      return { id };
    },
    closeProducer: async ({ producerId }) => {
      this.#own(this.#producers, producerId, 'producer');
      this.#node.closeProducer(producerId);
      this.#producers.delete(producerId);
      return {};
    },
    consume: async ({ transportId, producerId, rtpCapabilities }) => {
      this.#own(this.#transports, transportId, 'transport');
      this.#refuseIfOverdrawn();
      const params = await this.#node.consume(transportId, producerId, rtpCapabilities);
      this.#consumers.add(params.id);
      this.#deps.hub.ownConsumer(params.id, this);
      return params;
    },
    resumeConsumer: async ({ consumerId }) => {
      this.#own(this.#consumers, consumerId, 'consumer');
      this.#refuseIfOverdrawn();
      await this.#node.resumeConsumer(consumerId);
      return {};
    },
    pauseConsumer: async ({ consumerId }) => {
      this.#own(this.#consumers, consumerId, 'consumer');
      await this.#node.pauseConsumer(consumerId);
      return {};
    },
    setLayer: async ({ consumerId, layer }) => {
      this.#own(this.#consumers, consumerId, 'consumer');
      await this.#node.setConsumerLayer(consumerId, layer);
      return {};
    },
    stats: async () => ({ transports: this.#transports.size, producers: this.#producers.size, consumers: this.#consumers.size }),
  };

  async #placement(role: Role, streamId: string): Promise<string> {
    try {
      return role === 'publisher' ? await this.#deps.routes.origin(streamId) : await this.#deps.routes.viewerNode(streamId);
    } catch (err) {
      // The operator has not placed the stream yet: worth retrying, unlike a missing stream.
      if (err instanceof SfuError && err.code === 'not_found' && this.#deps.routes.placedExternally) throw new WsError('unavailable', err.message);
      throw err;
    }
  }

  #own(set: Set<string>, id: string, what: string): void {
    if (!set.has(id)) throw new WsError('not_found', `${what} ${id} not found in this session`);
  }

  #toError(err: unknown): { code: ErrorCode; message: string } {
    if (err instanceof WsError) return { code: err.code, message: err.message };
    if (err instanceof SfuError) return { code: err.code, message: err.message };
    if (err instanceof TokenError) return { code: 'unauthorized', message: err.message };
    if (err instanceof z.ZodError) {
      return { code: 'bad_request', message: err.issues.map((i) => `${i.path.join('.') || 'data'}: ${i.message}`).join('; ') };
    }
    this.#log.error({ err }, 'request failed');
    return { code: 'internal', message: 'internal error' };
  }

  #send(frame: ResponseFrame | { v: number; event: string; data: unknown }): void {
    if (this.#socket.readyState === this.#socket.OPEN) this.#socket.send(JSON.stringify(frame));
  }

  #onClose(): void {
    this.#closed = true;
    // Closing a transport closes its producers and consumers with it.
    for (const id of this.#transports) this.#sfu?.closeTransport(id);
    this.#transports.clear();
    if (this.#billed) {
      this.#deps.billing.close(this.id).catch((err: unknown) => this.#log.error({ err: (err as Error).message }, 'billing session not closed'));
    }
    if (this.#streamId) {
      this.#deps.hub.leave(this, this.#streamId);
      if (this.#role === 'viewer' && this.#nodeId) this.#deps.routes.viewerLeft(this.#streamId, this.#nodeId);
    }
    this.#log.info({ streamId: this.#streamId, role: this.#role }, 'left');
  }
}
