import type { Spendable } from '@vilokanam/settlement';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { VilokanamError, zodMessage } from '@vilokanam/contracts/errors';
import { SfuError, type SfuControl } from '@vilokanam/sfu-node';
import type { ViewerBilling } from '../billing/ViewerBilling.ts';
import type { Fleet } from '../fleet/Fleet.ts';
import type { StreamRoutes } from '../fleet/StreamRoutes.ts';
import type { SignalingMetrics } from '../metrics.ts';
import {
  CloseCode,
  PROTOCOL_VERSION,
  RequestFrame,
  RequestSchemas,
  isRequestType,
  type ErrorCode,
  type NotificationMap,
  type RequestData,
  type RequestType,
  type ResponseFrame,
  type ResponseMap,
  type Role,
} from '@vilokanam/contracts/signaling';
import type { StreamRecord, StreamStore } from '../StreamStore.ts';
import type { TokenIssuer } from '../TokenIssuer.ts';
import type { AccountSessions } from './AccountSessions.ts';
import { Admission } from './Admission.ts';
import { WsError } from './WsError.ts';
import type { HubMember, StreamHub } from './StreamHub.ts';
import { TokenBucket } from '@vilokanam/contracts/rate';

export { WsError } from './WsError.ts';

export interface SessionDeps {
  fleet: Fleet;
  routes: StreamRoutes;
  hub: StreamHub;
  store: StreamStore;
  tokens: TokenIssuer;
  billing: ViewerBilling;
  accounts: AccountSessions;
  log: Logger;
  metrics: SignalingMetrics;
  limits: { sessionsPerAccount: number; joinTimeoutMs: number };
  pricing: {
    /** A paid session starts only if the account's balance covers this many seconds of all its sessions. */
    minPrepaidSeconds: number;
    /** What the account may spend on the stream: its balance, or less under a spending cap it set. */
    spendable(accountId: string, streamId: string): Promise<Spendable>;
  };
}

export const TOP_UP_URL = '/wallet';

/** What the player says when settlement stops the account, by reason. */
const OVERDRAFT_MESSAGES = {
  overdrawn: 'Your balance ran out, so the stream is paused. Top up to keep watching.',
  low_balance: 'Your balance is too low to keep watching, so the stream is paused. Top up to continue.',
  spending_cap: 'You have reached the spending cap you set for today, so the stream is paused. You can change it in your wallet.',
} as const;

/** What one tab may make the node allocate (docs/threat-model.md). */
export const SESSION_LIMITS = {
  /** One WebRTC transport carries everything a tab sends or receives; ICE restarts keep it alive. */
  transports: 1,
  /** A studio publishes audio and video; two spare for a screen share and its audio. */
  producers: 4,
  /** One consumer per producer of the stream. */
  consumers: 4,
  /** Requests waiting behind the one in progress; the token bucket keeps a client far below it. */
  queued: 32,
} as const;

type Handlers = { [T in RequestType]: (data: RequestData<T>) => Promise<ResponseMap[T]> };
type Parsed = { id: number; type: RequestType; data: unknown };

/**
 * One browser tab: its grant, and every media object it created, freed when it goes.
 *
 * Requests run one at a time, in the order they arrived: each handler checks and then acts
 * on this session's state with nothing of its own running in between, so a burst of
 * parallel frames ends in exactly the state one frame would leave.
 */
export class Session implements HubMember {
  readonly id = randomUUID();
  #streamId: string | undefined;
  #role: Role | undefined;
  #nodeId: string | undefined;
  #sfu: SfuControl | undefined;
  /** The session's claim on its account, and its billing record when the stream is paid. */
  readonly #admission: Admission;
  readonly #socket: WebSocket;
  readonly #deps: SessionDeps;
  readonly #log: Logger;
  readonly #transports = new Set<string>();
  readonly #producers = new Set<string>();
  /** Consumer id → the producer it carries. */
  readonly #consumers = new Map<string, string>();
  readonly #bucket = new TokenBucket(60, 30);
  readonly #joinTimer: NodeJS.Timeout;
  #queue: Promise<void> = Promise.resolve();
  #queued = 0;
  #closed = false;
  #overdrawn = false;

  constructor(socket: WebSocket, deps: SessionDeps) {
    this.#socket = socket;
    this.#deps = deps;
    this.#log = deps.log.child({ session: this.id });
    this.#admission = new Admission(deps, this.id);
    socket.on('message', (raw, isBinary) => this.#onMessage(raw.toString(), isBinary));
    socket.on('close', () => this.#onClose());
    socket.on('error', (err) => this.#log.warn({ err }, 'socket error'));
    // A socket that never joins holds nothing but memory; it still does not stay forever.
    this.#joinTimer = setTimeout(() => {
      if (!this.#streamId) socket.close(CloseCode.joinTimeout, 'join a stream first');
    }, deps.limits.joinTimeoutMs).unref();
  }

  get role(): Role | undefined {
    return this.#role;
  }

  get nodeId(): string | undefined {
    return this.#nodeId;
  }

  get account(): string | undefined {
    return this.#admission.account;
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

  /** The node closed a consumer: the producer it carried may be consumed again. */
  dropConsumer(consumerId: string): void {
    this.#consumers.delete(consumerId);
  }

  /**
   * Settlement stopped this session's account: its media stops here, at the serving node.
   * `low_balance`: every second so far is paid, but the rest would not cover the next ones.
   */
  overdraft(reason: 'overdrawn' | 'low_balance' | 'spending_cap' = 'overdrawn'): void {
    if (this.#overdrawn || this.#closed || !this.#admission.billed) return;
    this.#overdrawn = true;
    for (const id of this.#consumers.keys()) {
      this.#sfu?.pauseConsumer(id).catch((err: unknown) => this.#log.warn({ consumerId: id, err }, 'pause failed'));
    }
    this.#log.info({ streamId: this.#streamId, reason }, 'account stopped: media paused');
    const message = OVERDRAFT_MESSAGES[reason];
    this.notify('overdraft', { message, topUpUrl: TOP_UP_URL });
  }

  #refuseIfOverdrawn(): void {
    if (this.#overdrawn) throw new WsError('payment_required', 'your balance ran out: top up to keep watching');
  }

  #onMessage(raw: string, isBinary: boolean): void {
    let parsed: Parsed;
    try {
      parsed = this.#parse(raw, isBinary);
    } catch (err) {
      const id = err instanceof FrameError ? err.id : null;
      return this.#reply('invalid', id, this.#toError(err instanceof FrameError ? err.cause : err));
    }
    if (this.#queued >= SESSION_LIMITS.queued) {
      return this.#reply(parsed.type, parsed.id, { code: 'rate_limited', message: 'too many requests in flight' });
    }
    this.#queued++;
    this.#queue = this.#queue.then(() => this.#handle(parsed)).finally(() => void this.#queued--);
  }

  /** Everything about a frame that needs no state: shape, version, type, rate, body schema. */
  #parse(raw: string, isBinary: boolean): Parsed {
    if (isBinary) throw new WsError('bad_request', 'binary frames are not accepted');
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new WsError(this.#bucket.take() ? 'bad_request' : 'rate_limited', 'frame is not valid JSON');
    }
    const id = typeof (json as { id?: unknown })?.id === 'number' ? (json as { id: number }).id : null;
    // Every frame costs a token, well-formed or not.
    if (!this.#bucket.take()) throw new FrameError(id, new WsError('rate_limited', 'too many requests'));
    if ((json as { v?: unknown })?.v !== PROTOCOL_VERSION) {
      throw new FrameError(id, new WsError('unsupported_version', `protocol version ${PROTOCOL_VERSION} required`));
    }
    const frame = RequestFrame.safeParse(json);
    if (!frame.success) throw new FrameError(id, frame.error);
    const { type } = frame.data;
    // Own keys only: `constructor` or `__proto__` is as unknown as any other name.
    if (!isRequestType(type)) throw new FrameError(frame.data.id, new WsError('unknown_type', 'unknown request type'));
    const data = (RequestSchemas[type] as z.ZodType).safeParse(frame.data.data ?? {});
    if (!data.success) throw new FrameError(frame.data.id, data.error);
    return { id: frame.data.id, type, data: data.data };
  }

  async #handle({ id, type, data }: Parsed): Promise<void> {
    try {
      if (type !== 'join' && !this.#streamId) throw new WsError('forbidden', 'join a stream first');
      const result = await (this.#handlers[type] as (d: unknown) => Promise<unknown>)(data);
      this.#deps.metrics.requests.inc({ type, outcome: 'ok' });
      this.#send({ v: PROTOCOL_VERSION, id, ok: true, data: result });
    } catch (err) {
      this.#reply(type, id, this.#toError(err));
    }
  }

  #reply(type: string, id: number | null, error: { code: ErrorCode; message: string }): void {
    this.#deps.metrics.requests.inc({ type, outcome: error.code });
    this.#send({ v: PROTOCOL_VERSION, id, ok: false, error });
  }

  readonly #handlers: Handlers = {
    join: async ({ token }) => {
      if (this.#streamId) throw new WsError('conflict', 'already joined');
      const grant = await this.#deps.tokens.verify(token);
      const stream = await this.#deps.store.get(grant.streamId);
      if (!stream) throw new WsError('not_found', 'stream not found');
      if (stream.status !== 'live') throw new WsError('stream_not_live', stream.status === 'ended' ? 'the stream has ended' : 'the stream is not live yet');
      const price = grant.role === 'viewer' ? (grant.pricePerSecond ?? stream.pricePerSecond) : 0n;
      try {
        await this.#admission.admit(grant, stream, price);
        return await this.#enter(grant.role, stream, price);
      } catch (err) {
        this.#admission.release();
        throw err;
      }
    },
    createTransport: async ({ direction }) => {
      const wanted = this.#role === 'publisher' ? 'send' : 'recv';
      if (direction !== wanted) throw new WsError('forbidden', `a ${this.#role} may only create ${wanted} transports`);
      if (this.#transports.size >= SESSION_LIMITS.transports) throw new WsError('conflict', 'this session already has its transport');
      // Only a paid session's transport is metered: free viewing leaves no ticks behind.
      const params = await this.#node.createTransport(this.#streamId!, direction, this.#admission.billed ? { sessionId: this.id } : {});
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
      if (this.#producers.size >= SESSION_LIMITS.producers) throw new WsError('conflict', `at most ${SESSION_LIMITS.producers} producers`);
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
      if ([...this.#consumers.values()].includes(producerId)) throw new WsError('conflict', `producer ${producerId} is already consumed`);
      if (this.#consumers.size >= SESSION_LIMITS.consumers) throw new WsError('conflict', `at most ${SESSION_LIMITS.consumers} consumers`);
      const params = await this.#node.consume(transportId, producerId, rtpCapabilities);
      this.#consumers.set(params.id, producerId);
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
    quality: async ({ freezesLastMinute }) => {
      if (this.#role !== 'viewer' || !this.#streamId) throw new WsError('forbidden', 'only a joined viewer reports its quality');
      this.#deps.hub.reportQuality(this.#streamId, this.id, freezesLastMinute);
      return {};
    },
  };

  /** Places the tab on its node and makes it a member of the stream. */
  async #enter(role: Role, stream: StreamRecord, price: bigint): Promise<ResponseMap['join']> {
    // Publishers always go to the origin; viewers wherever placement finds room.
    const nodeId = await this.#placement(role, stream.id);
    const sfu = this.#deps.fleet.control(nodeId);
    if (!sfu) throw new WsError('internal', 'media node went away');
    const [routerRtpCapabilities, producers] = await Promise.all([sfu.routerCapabilities(stream.id), role === 'viewer' ? sfu.producers(stream.id) : []]);
    if (this.#closed) throw new WsError('conflict', 'socket closed during join');
    this.#streamId = stream.id;
    this.#role = role;
    this.#nodeId = nodeId;
    this.#sfu = sfu;
    clearTimeout(this.#joinTimer);
    this.#deps.hub.join(this, stream.id);
    if (role === 'viewer') this.#deps.routes.viewerJoined(stream.id, nodeId);
    this.#log.info({ streamId: stream.id, role, nodeId, billed: this.#admission.billed }, 'joined');
    return {
      role,
      streamId: stream.id,
      sessionId: this.id,
      pricePerSecond: price.toString(),
      routerRtpCapabilities,
      producers,
      viewers: this.#deps.hub.viewerCount(stream.id),
    };
  }

  async #placement(role: Role, streamId: string): Promise<string> {
    try {
      return role === 'publisher' ? await this.#deps.routes.origin(streamId) : await this.#deps.routes.viewerNode(streamId, this.#deps.hub.viewersElsewhere(streamId));
    } catch (err) {
      // The operator has not placed the stream yet: worth retrying, unlike a missing stream.
      if (err instanceof SfuError && err.code === 'not_found' && this.#deps.routes.placedExternally) throw new WsError('unavailable', err.message);
      throw err;
    }
  }

  #own(ids: { has(id: string): boolean }, id: string, what: string): void {
    if (!ids.has(id)) throw new WsError('not_found', `${what} ${id} not found in this session`);
  }

  #toError(err: unknown): { code: ErrorCode; message: string } {
    // WsError, SfuError and TokenError all carry codes of the signaling protocol.
    if (err instanceof VilokanamError) return { code: err.code as ErrorCode, message: err.message };
    if (err instanceof z.ZodError) return { code: 'bad_request', message: zodMessage(err, { root: 'data' }) };
    this.#log.error({ err }, 'request failed');
    return { code: 'internal', message: 'internal error' };
  }

  #send(frame: ResponseFrame | { v: number; event: string; data: unknown }): void {
    if (this.#socket.readyState === this.#socket.OPEN) this.#socket.send(JSON.stringify(frame));
  }

  #onClose(): void {
    this.#closed = true;
    clearTimeout(this.#joinTimer);
    // Closing a transport closes its producers and consumers with it.
    for (const id of this.#transports) this.#sfu?.closeTransport(id);
    this.#transports.clear();
    this.#admission.release();
    if (this.#streamId) {
      this.#deps.hub.leave(this, this.#streamId);
      if (this.#role === 'viewer' && this.#nodeId) this.#deps.routes.viewerLeft(this.#streamId, this.#nodeId, this.#deps.hub.viewersElsewhere(this.#streamId));
    }
    this.#log.info({ streamId: this.#streamId, role: this.#role }, 'left');
  }
}

/** A frame refused before it reached a handler, with the id to answer it under. */
class FrameError extends Error {
  readonly id: number | null;
  override readonly cause: unknown;

  constructor(id: number | null, cause: unknown) {
    super('frame refused');
    this.id = id;
    this.cause = cause;
  }
}
