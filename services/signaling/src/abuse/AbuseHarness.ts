// The real embedded platform as an attacker meets it: signaling over HTTP and WebSockets, a real
// sfu-node with a mediasoup worker, PGlite, and settlement's worker folding the node's ticks into
// the ledger. Windows are short (2 s, grace 1 s) so billing is observable within a test. Media
// comes from a synthetic VP8 source piped into the stream, behind an honest publisher socket.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { Ledger, MemoryTickStore, viewerAccount } from '@vilokanam/settlement';
import { SfuNode, sfuConfigFromEnv } from '@vilokanam/sfu-node';
import { Vp8PipeSource } from '@vilokanam/testkit/media';
import { AuthClient, newPair } from '@vilokanam/testkit/clients';
import { signalingConfigFromEnv } from '../config.ts';
import { startPlatform, type Platform } from '../Platform.ts';
import { WsTestClient } from '@vilokanam/testkit/clients';

export const WINDOW_SECONDS = 2;
export const GRACE_SECONDS = 1;

/** Every log line the platform writes, parsed, for tests that assert on what was (not) logged. */
export class LogCapture {
  readonly lines: Record<string, any>[] = [];
  readonly logger: Logger;

  constructor(level: pino.Level = 'info') {
    const sink = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        for (const line of chunk.toString().split('\n')) if (line.trim()) this.lines.push(JSON.parse(line));
        done();
      },
    });
    this.logger = pino({ level }, sink);
  }

  /** Lines at error level (50) or above. */
  errors(): Record<string, any>[] {
    return this.lines.filter((l) => l.level >= 50);
  }
}

export interface Account {
  client: AuthClient;
  id: string;
}

export interface LiveStream {
  id: string;
  key: string;
  publisher: WsTestClient;
  source: Vp8PipeSource;
}

export class AbuseHarness {
  readonly platform: Platform;
  readonly sfu: SfuNode;
  readonly ticks: MemoryTickStore;
  readonly ledger: Ledger;
  readonly logs: LogCapture;
  readonly #sources: Vp8PipeSource[] = [];
  readonly #sockets: WsTestClient[] = [];

  private constructor(platform: Platform, sfu: SfuNode, ticks: MemoryTickStore, logs: LogCapture) {
    this.platform = platform;
    this.sfu = sfu;
    this.ticks = ticks;
    this.ledger = new Ledger(platform.db);
    this.logs = logs;
  }

  /** `env` overrides the platform's settings (limits, grace periods, trusted proxies). */
  static async start(env: Record<string, string> = {}): Promise<AbuseHarness> {
    const logs = new LogCapture();
    const ticks = new MemoryTickStore({ windowSeconds: WINDOW_SECONDS });
    const sfu = new SfuNode(sfuConfigFromEnv({ ...process.env, VILO_SFU_WORKERS: '1', ...env }), logs.logger.child({ component: 'sfu' }), { tickSink: ticks });
    await sfu.start();
    const config = signalingConfigFromEnv({
      VILO_PORT: '0',
      VILO_DATA_DIR: 'memory://',
      VILO_SESSION_SECRET: randomBytes(24).toString('hex'),
      VILO_SETTLEMENT_WINDOW_SECONDS: String(WINDOW_SECONDS),
      VILO_SETTLEMENT_GRACE_SECONDS: String(GRACE_SECONDS),
      VILO_SETTLEMENT_INTERVAL_MS: '250',
      // AuthClient gives each client its own X-Forwarded-For, as a proxy on loopback would.
      VILO_TRUSTED_PROXIES: 'loopback',
      ...env,
    });
    const platform = await startPlatform(config, { sfu, ticks, log: logs.logger });
    return new AbuseHarness(platform, sfu, ticks, logs);
  }

  get url(): string {
    return this.platform.url;
  }

  /** A freshly signed-in wallet account, with `deposit` planck credited to its balance. */
  async account(deposit = 0n): Promise<Account> {
    const client = new AuthClient(this.url);
    const login = await client.signIn(newPair('sr25519'));
    if (login.status !== 200) throw new Error(`sign-in failed: ${login.status} ${JSON.stringify(login.body)}`);
    const id: string = login.body.account.id;
    if (deposit > 0n) await this.ledger.creditDeposit({ chainId: `test:${randomBytes(8).toString('hex')}`, account: id, amount: deposit });
    return { client, id };
  }

  /** Creates and starts a stream, joins its publisher, and pipes synthetic video into it. */
  async liveStream(creator: Account, pricePerSecond = 0n): Promise<LiveStream> {
    const created = await creator.client.call('/streams', { body: { title: 'Under attack', category: 'Tech', pricePerSecond: pricePerSecond.toString() } });
    if (created.status !== 201) throw new Error(`create failed: ${created.status} ${JSON.stringify(created.body)}`);
    const { id } = created.body.stream;
    const key: string = created.body.streamKey;
    const started = await creator.client.call(`/streams/${id}/start`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
    if (started.status !== 200) throw new Error(`start failed: ${started.status}`);
    const token = (await creator.client.call(`/streams/${id}/tokens`, { body: { role: 'publisher' }, headers: { authorization: `Bearer ${key}` } })).body.token;
    const publisher = await this.socket();
    const joined = await publisher.request('join', { token });
    if (!joined.ok) throw new Error(`publisher join failed: ${joined.error?.message}`);
    const source = await Vp8PipeSource.into(this.sfu, id);
    this.#sources.push(source);
    return { id, key, publisher, source };
  }

  /** A viewer token as the watch page gets it (the account's cookie, the price it was shown). */
  async viewerToken(viewer: Account | undefined, streamId: string): Promise<string> {
    const client = viewer?.client ?? new AuthClient(this.url);
    const reply = await client.call(`/streams/${streamId}/tokens`, { body: { role: 'viewer' } });
    if (reply.status !== 200) throw new Error(`token refused: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body.token;
  }

  async socket(): Promise<WsTestClient> {
    const ws = await WsTestClient.connect(this.url);
    this.#sockets.push(ws);
    return ws;
  }

  /** Seconds the ledger billed this session, over every settled window. */
  async billedSeconds(sessionId: string): Promise<number> {
    const rows = await this.platform.db.query<{ s: number | null }>('SELECT sum(billed_seconds)::int AS s FROM settled_windows WHERE session_id = $1', [sessionId]);
    return rows[0]?.s ?? 0;
  }

  balance(accountId: string): Promise<bigint> {
    return this.ledger.balance(viewerAccount(accountId));
  }

  /** Waits until every tick recorded so far sits in a settled window (W + grace, then the worker's pass). */
  async settle(): Promise<void> {
    await new Promise((r) => setTimeout(r, (WINDOW_SECONDS + GRACE_SECONDS + 1) * 1000));
    const deadline = Date.now() + 10_000;
    while ((await this.ticks.indexedWindows()) > 0) {
      if (Date.now() > deadline) throw new Error('tick windows did not settle');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async close(): Promise<void> {
    for (const ws of this.#sockets) ws.close();
    for (const s of this.#sources) s.close();
    await this.platform.close();
    this.sfu.close();
  }
}
