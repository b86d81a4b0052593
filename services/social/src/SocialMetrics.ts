import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The social service's metrics; each component counts what it does here. */
export class SocialMetrics {
  readonly registry: Registry;
  readonly chatMessages: Counter;
  readonly chatRefused: Counter<'reason'>;
  readonly chatDeliveries: Counter;
  readonly chatFanoutLag: Histogram;
  readonly chatClients: Gauge;
  readonly moderationActions: Counter<'action'>;
  readonly malformed: Counter<'source'>;
  readonly tips: Counter;
  readonly notifications: Counter;
  readonly webhookDeliveries: Counter<'outcome'>;
  readonly searches: Histogram;

  /** `registry`: a host's (signaling's, in embedded mode), so one /metrics shows both. */
  constructor(opts: { defaultMetrics?: boolean; registry?: Registry } = {}) {
    const registers = [(this.registry = opts.registry ?? new Registry())];
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry });
    this.chatMessages = new Counter({ name: 'vilo_chat_messages_total', help: 'Chat messages accepted', registers });
    this.chatRefused = new Counter({ name: 'vilo_chat_refused_total', help: 'Chat messages refused, by reason', labelNames: ['reason'], registers });
    this.chatDeliveries = new Counter({ name: 'vilo_chat_deliveries_total', help: 'Chat events written to sockets', registers });
    this.chatFanoutLag = new Histogram({
      name: 'vilo_chat_fanout_lag_seconds',
      help: 'From a chat event being accepted to this instance handing it to its sockets',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.chatClients = new Gauge({ name: 'vilo_chat_clients', help: 'Connected chat sockets', registers });
    this.moderationActions = new Counter({ name: 'vilo_moderation_actions_total', help: 'Moderation actions, by action', labelNames: ['action'], registers });
    this.malformed = new Counter({ name: 'vilo_social_malformed_messages_total', help: 'Untrusted messages refused, by source', labelNames: ['source'], registers });
    this.tips = new Counter({ name: 'vilo_tips_total', help: 'Tips sent', registers });
    this.notifications = new Counter({ name: 'vilo_notifications_total', help: 'Go-live notifications recorded', registers });
    this.webhookDeliveries = new Counter({ name: 'vilo_webhook_deliveries_total', help: 'Webhook delivery attempts, by outcome', labelNames: ['outcome'], registers });
    this.searches = new Histogram({ name: 'vilo_search_seconds', help: 'Search latency', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers });
  }
}
