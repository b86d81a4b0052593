import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import WebSocket from 'ws';
import { z } from 'zod';
import {
  SfuError,
  type ConsumeOptions,
  type ConsumerParams,
  type MediaKind,
  type PipedProducerParams,
  type PipeRemote,
  type PipeTransportParams,
  type ProducerInfo,
  type SfuControl,
  type SfuControlEvents,
  type SfuLoad,
  type TransportDirection,
  type TransportOptions,
  type TransportParams,
} from '../SfuControl.ts';
import { ControlEventFrame, ControlReply, parseControlEvent, PipeTransportReply, RecordingSummary, type ControlMethod } from '@vilokanam/contracts/control';
import { UntrustedInput } from '@vilokanam/contracts/untrusted';
import { NodeStreamHealth } from '@vilokanam/contracts/health';
import type { ControlAuth } from './ControlAuth.ts';

const CALL_TIMEOUT_MS = 10_000;

/**
 * SfuControl over an sfu-node's authenticated control channel. Each (re)connect presents a
 * fresh token bound to this node and URL; pipe SRTP parameters are sealed both ways.
 */
export class RemoteSfu extends EventEmitter<SfuControlEvents> implements SfuControl {
  readonly nodeId: string;
  readonly url: string;
  readonly #auth: ControlAuth;
  readonly #caller: string;
  readonly #log: Logger;
  #ws: WebSocket | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  #closed = false;
  #opening: Promise<WebSocket> | undefined;
  readonly #untrusted: UntrustedInput;

  /** `untrusted` counts what a node sends that fails its schema; by default it is only logged. */
  constructor(opts: { nodeId: string; url: string; auth: ControlAuth; caller: string; log: Logger; untrusted?: UntrustedInput }) {
    super();
    this.nodeId = opts.nodeId;
    this.url = opts.url.replace(/^http/, 'ws').replace(/\/$/, '');
    this.#auth = opts.auth;
    this.#caller = opts.caller;
    this.#log = opts.log.child({ node: opts.nodeId });
    this.#untrusted = opts.untrusted ?? new UntrustedInput({ count: () => undefined, warn: (obj, msg) => this.#log.warn(obj, msg) });
  }

  get connected(): boolean {
    return this.#ws?.readyState === WebSocket.OPEN;
  }

  async connect(): Promise<void> {
    await this.#socket();
  }

  close(): void {
    this.#closed = true;
    this.#ws?.close();
  }

  routerCapabilities(streamId: string): Promise<unknown> {
    return this.#call('routerCapabilities', [streamId]);
  }
  createTransport(streamId: string, direction: TransportDirection, opts?: TransportOptions): Promise<TransportParams> {
    return this.#call('createTransport', opts ? [streamId, direction, opts] : [streamId, direction]);
  }
  async connectTransport(transportId: string, dtlsParameters: unknown): Promise<void> {
    await this.#call('connectTransport', [transportId, dtlsParameters]);
  }
  restartIce(transportId: string): Promise<unknown> {
    return this.#call('restartIce', [transportId]);
  }
  closeTransport(transportId: string): void {
    this.#fire('closeTransport', [transportId]);
  }
  produce(transportId: string, kind: MediaKind, rtpParameters: unknown, appData?: Record<string, unknown>): Promise<{ id: string }> {
    return this.#call('produce', appData ? [transportId, kind, rtpParameters, appData] : [transportId, kind, rtpParameters]);
  }
  closeProducer(producerId: string): void {
    this.#fire('closeProducer', [producerId]);
  }
  producers(streamId: string): Promise<ProducerInfo[]> {
    return this.#call('producers', [streamId]);
  }
  consume(transportId: string, producerId: string, rtpCapabilities: unknown, opts?: ConsumeOptions): Promise<ConsumerParams> {
    return this.#call('consume', opts ? [transportId, producerId, rtpCapabilities, opts] : [transportId, producerId, rtpCapabilities]);
  }
  async resumeConsumer(consumerId: string): Promise<void> {
    await this.#call('resumeConsumer', [consumerId]);
  }
  async pauseConsumer(consumerId: string): Promise<void> {
    await this.#call('pauseConsumer', [consumerId]);
  }
  async setConsumerLayer(consumerId: string, layer: 'auto' | number): Promise<void> {
    await this.#call('setConsumerLayer', [consumerId, layer]);
  }
  async startRecording(streamId: string, recordingId: string): Promise<void> {
    await this.#call('startRecording', [streamId, recordingId]);
  }
  /** The node's answer is parsed: part names become paths on the reader's side. */
  async stopRecording(streamId: string): Promise<RecordingSummary | undefined> {
    const summary = await this.#call('stopRecording', [streamId]);
    return summary === null || summary === undefined ? undefined : RecordingSummary.parse(summary);
  }
  async streamHealth(streamId: string): Promise<NodeStreamHealth> {
    return NodeStreamHealth.parse(await this.#call('streamHealth', [streamId]));
  }
  closeStream(streamId: string): void {
    this.#fire('closeStream', [streamId]);
  }
  load(): Promise<SfuLoad> {
    return this.#call('load', []);
  }
  async createPipeTransport(streamId: string): Promise<PipeTransportParams> {
    const reply = PipeTransportReply.safeParse(await this.#call('createPipeTransport', [streamId]));
    if (!reply.success) throw new Error(`sfu ${this.nodeId}: createPipeTransport: malformed reply`);
    const pipe = reply.data;
    try {
      return { ...pipe, srtpParameters: this.#auth.seal.open('local', pipe.id, pipe.srtpParameters) };
    } catch (err) {
      throw new Error(`sfu ${this.nodeId}: createPipeTransport: ${(err as Error).message}`);
    }
  }
  async connectPipeTransport(pipeTransportId: string, remote: PipeRemote): Promise<void> {
    const grant = await this.#auth.pipeGrant(pipeTransportId, remote);
    const srtpParameters = this.#auth.seal.seal('remote', pipeTransportId, remote.srtpParameters);
    await this.#call('connectPipeTransport', [pipeTransportId, { ip: remote.ip, port: remote.port, srtpParameters }, grant]);
  }
  closePipeTransport(pipeTransportId: string): void {
    this.#fire('closePipeTransport', [pipeTransportId]);
  }
  pipeConsume(pipeTransportId: string, producerId: string): Promise<PipedProducerParams> {
    return this.#call('pipeConsume', [pipeTransportId, producerId]);
  }
  async pipeProduce(pipeTransportId: string, params: PipedProducerParams): Promise<void> {
    await this.#call('pipeProduce', [pipeTransportId, params]);
  }

  /** Close calls are idempotent on the node; a failure only means it is already gone. */
  #fire(method: ControlMethod, params: unknown[]): void {
    this.#call(method, params).catch((err: Error) => this.#log.debug({ method, err }, 'close call failed'));
  }

  async #call<T>(method: ControlMethod, params: unknown[]): Promise<T> {
    const ws = await this.#socket();
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`sfu ${this.nodeId}: ${method} timed out`));
      }, CALL_TIMEOUT_MS);
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      ws.send(JSON.stringify({ id, method, params }));
    });
  }

  #socket(): Promise<WebSocket> {
    if (this.#closed) return Promise.reject(new Error(`sfu ${this.nodeId}: client closed`));
    if (this.#ws?.readyState === WebSocket.OPEN) return Promise.resolve(this.#ws);
    this.#opening ??= this.#open().finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  async #open(): Promise<WebSocket> {
    // Minted per connect: a token names this node and URL, lives seconds, and is good once.
    const token = await this.#auth.connectToken(this.#caller, { node: this.nodeId, url: this.url });
    const ws = new WebSocket(`${this.url}/control`, { headers: { authorization: `Bearer ${token}` } });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', (err) => reject(new Error(`sfu ${this.nodeId}: cannot connect: ${err.message}`)));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body = (body + chunk).slice(0, 1024)));
        res.on('end', () => reject(new Error(`sfu ${this.nodeId}: control channel refused (${res.statusCode}): ${refusalOf(body)}`)));
        res.on('error', () => reject(new Error(`sfu ${this.nodeId}: control channel refused (${res.statusCode})`)));
      });
    });
    this.#ws = ws;
    ws.on('message', (raw) => this.#onMessage(raw.toString()));
    ws.on('close', () => {
      for (const [id, p] of this.#pending) {
        clearTimeout(p.timer);
        p.reject(new Error(`sfu ${this.nodeId}: control channel closed`));
        this.#pending.delete(id);
      }
      if (this.#ws === ws) this.#ws = undefined;
      this.emit('nodedown', { nodeId: this.nodeId });
    });
    ws.on('error', (err) => this.#log.warn({ err }, 'control channel error'));
    this.emit('nodeup', { nodeId: this.nodeId });
    return ws;
  }

  #onMessage(raw: string): void {
    const frame = this.#untrusted.parseJson('node', z.union([ControlReply, ControlEventFrame]), raw);
    if (!frame) return;
    if ('event' in frame) {
      const event = parseControlEvent(frame);
      if (!event) return this.#untrusted.reject('node', `unknown or malformed event`);
      (this.emit as (e: string, d: unknown) => boolean)(event.event, event.data);
      return;
    }
    if (frame.id === null) return;
    const pending = this.#pending.get(frame.id);
    if (!pending) return;
    this.#pending.delete(frame.id);
    clearTimeout(pending.timer);
    if (frame.ok) pending.resolve(frame.data);
    else pending.reject(toError(frame.error));
  }
}

/** The node's stated reason, from its JSON error body, as plain text. */
function refusalOf(body: string): string {
  const parsed = z.object({ error: z.object({ message: z.string().max(256) }) }).safeParse(safeJson(body));
  return parsed.success ? parsed.data.error.message : 'no reason given';
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function toError(error: Extract<ControlReply, { ok: false }>['error']): Error {
  if (error.code === 'internal') return new Error(error.message);
  return new SfuError(error.code, error.message);
}
