import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type Koa from 'koa';
import type { Logger } from 'pino';
import type { Database } from '@vilokanam/settlement/db';
import type { ChatBus } from './chat/ChatBus.ts';
import { ChatModeration } from './chat/ChatModeration.ts';
import { ChatServer } from './chat/ChatServer.ts';
import { ChatService } from './chat/ChatService.ts';
import { moderationRoutes } from './chat/moderationRoutes.ts';
import { emoteRoutes } from './emotes/emoteRoutes.ts';
import { Emotes } from './emotes/Emotes.ts';
import { followRoutes } from './follows/followRoutes.ts';
import { Follows } from './follows/Follows.ts';
import { memberMiddleware, type MemberResolver } from './http/member.ts';
import { ImageIngest } from './media/ImageIngest.ts';
import { sweepUnusedImages } from './media/images.ts';
import { notificationRoutes } from './notifications/notificationRoutes.ts';
import { Notifications } from './notifications/Notifications.ts';
import { profileRoutes } from './profiles/profileRoutes.ts';
import { Profiles } from './profiles/Profiles.ts';
import { browseRoutes } from './search/browseRoutes.ts';
import { Categories } from './search/Categories.ts';
import { Search } from './search/Search.ts';
import type { SocialMetrics } from './SocialMetrics.ts';
import { tipRoutes } from './tips/tipRoutes.ts';
import { WebhookDispatcher } from './webhooks/WebhookDispatcher.ts';
import { webhookRoutes } from './webhooks/webhookRoutes.ts';
import { Webhooks } from './webhooks/Webhooks.ts';

export interface SocialServiceOptions {
  db: Database;
  bus: ChatBus;
  log: Logger;
  metrics: SocialMetrics;
  resolveMember: MemberResolver;
  isAdmin: (accountId: string) => boolean;
  /** The real client address of an upgrade request. */
  clientAddress: (req: IncomingMessage) => string;
  /** The site's address, for links in webhook bodies. */
  publicUrl: string;
  socketsPerIp: number;
  allowedOrigins?: readonly string[];
  /** Lets webhooks reach private addresses: for tests and closed networks only. */
  allowPrivateWebhookTargets?: boolean;
  /** Chat messages per account per 10 s. */
  chatRatePerWindow?: number;
}

/**
 * The social service: chat over its WebSocket, the REST routes of profiles, follows,
 * notifications, webhooks, emotes, browse and search, and tips. In embedded mode signaling
 * mounts `routes` and hands it chat upgrades; in a cluster it runs alone (main.ts).
 */
export class SocialService {
  readonly chat: ChatService;
  readonly moderation: ChatModeration;
  readonly chatServer: ChatServer;
  readonly categories: Categories;
  readonly notifications: Notifications;
  readonly dispatcher: WebhookDispatcher;
  readonly emotes: Emotes;
  /** In mounting order; the first resolves the session cookie for the rest. */
  readonly routes: Koa.Middleware[];
  readonly #o: SocialServiceOptions;
  #sweep: NodeJS.Timeout | undefined;

  constructor(o: SocialServiceOptions) {
    this.#o = o;
    const { db, bus, log, metrics } = o;
    const ingest = new ImageIngest(db);
    this.emotes = new Emotes(db, ingest, { log });
    this.chat = new ChatService({ db, bus, log, metrics, emotes: (channel) => this.emotes.forChannel(channel), ...(o.chatRatePerWindow ? { ratePerWindow: o.chatRatePerWindow } : {}) });
    this.moderation = new ChatModeration({ db, chat: this.chat, bus, metrics });
    this.chatServer = new ChatServer({
      chat: this.chat, moderation: this.moderation, bus, log, metrics,
      resolveMember: o.resolveMember, clientAddress: o.clientAddress, socketsPerIp: o.socketsPerIp,
      ...(o.allowedOrigins ? { allowedOrigins: o.allowedOrigins } : {}),
    });
    this.categories = new Categories(db);
    this.notifications = new Notifications(db, metrics);
    const webhookOpts = { allowPrivateTargets: o.allowPrivateWebhookTargets ?? false };
    this.dispatcher = new WebhookDispatcher({ db, metrics, log, publicUrl: o.publicUrl, ...webhookOpts });
    this.routes = [
      memberMiddleware(o.resolveMember),
      profileRoutes({ profiles: new Profiles(db, ingest), db }),
      followRoutes({ follows: new Follows(db) }),
      notificationRoutes({ notifications: this.notifications }),
      webhookRoutes({ webhooks: new Webhooks(db, webhookOpts) }),
      emoteRoutes({ emotes: this.emotes }),
      browseRoutes({ categories: this.categories, search: new Search(db), metrics, isAdmin: o.isAdmin }),
      tipRoutes({ db, chat: this.chat, metrics }),
      moderationRoutes({ db, moderation: this.moderation }),
    ];
  }

  async start(): Promise<void> {
    await this.emotes.seedPlatform();
    await this.chatServer.ready;
    this.dispatcher.start();
    // Replaced avatars and deleted emotes leave their bytes behind until swept.
    this.#sweep = setInterval(() => {
      sweepUnusedImages(this.#o.db).catch((err: unknown) => this.#o.log.warn({ err }, 'image sweep failed'));
    }, 3_600_000).unref();
  }

  /** For a server's 'upgrade' event, on the chat path. */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => this.chatServer.handleUpgrade(req, socket, head);

  /**
   * A stream went live: its creator's followers are notified (once per stream, however often
   * this is called), those connected are told at once, and the creator's webhooks are queued.
   */
  async announceLive(streamId: string): Promise<void> {
    await announceLive({ db: this.#o.db, bus: this.#o.bus, notifications: this.notifications, dispatcher: this.dispatcher }, streamId);
  }

  async close(): Promise<void> {
    clearInterval(this.#sweep);
    await this.dispatcher.stop();
    await this.chatServer.close();
    await this.#o.bus.close();
  }
}

/** The go-live fan-out, usable by whoever learns of the start (signaling, in a cluster). */
export async function announceLive(d: { db: Database; bus: ChatBus; notifications: Notifications; dispatcher: WebhookDispatcher }, streamId: string): Promise<number> {
  const notice = await d.notifications.recordLive(streamId);
  const at = Date.now();
  for (const account of notice.notified) await d.bus.publish('accounts', { event: 'notification', at, account, data: notice.notification(account) });
  await d.dispatcher.enqueueLive(streamId);
  return notice.notified.length;
}
