import { AddressQuota } from '@vilokanam/contracts/address-quota';
import { HttpError } from '../http/errors.ts';
import type { WhepViewer } from './WhepViewer.ts';
import type { WhipPublisher } from './WhipPublisher.ts';

export interface WhipResource {
  kind: 'whip' | 'whep';
  session: WhipPublisher | WhepViewer;
  ip: string;
  /** The client's current ICE username fragment: a PATCH with another one is an ICE restart. */
  remoteUfrag: string | undefined;
}

/**
 * How long an ended resource still answers a DELETE. Clients close the peer connection before
 * they send DELETE (whip.js, OBS), so the DTLS close can end the session first; the DELETE that
 * follows must still mean "stop", not 404.
 */
const ENDED_KEEP_MS = 30_000;
const ENDED_MAX = 10_000;

/** The live WHIP and WHEP resources, by id, bounded per client address. */
export class WhipResources {
  readonly #byId = new Map<string, WhipResource>();
  /** Recently ended resources, oldest first, for the DELETE that follows a DTLS close. */
  readonly #ended = new Map<string, { resource: WhipResource; at: number }>();
  readonly #perIp: AddressQuota;

  constructor(perIp: number) {
    this.#perIp = new AddressQuota(perIp);
  }

  /**
   * Opens a session through `open` and keeps it until it closes. The address's count is taken
   * before anything is awaited, so a burst of posts cannot slip past the bound.
   */
  async add(ip: string, kind: WhipResource['kind'], remoteUfrag: string | undefined, open: () => Promise<{ session: WhipResource['session']; answer: string }>): Promise<{ id: string; answer: string }> {
    const release = this.#perIp.take(ip);
    if (!release) throw new HttpError(429, 'rate_limited', 'too many WHIP and WHEP sessions from this address');
    let opened: { session: WhipResource['session']; answer: string };
    try {
      opened = await open();
    } catch (err) {
      release();
      throw err;
    }
    const { session, answer } = opened;
    const resource: WhipResource = { kind, session, ip, remoteUfrag };
    this.#byId.set(session.id, resource);
    session.onClose = () => {
      if (this.#byId.get(session.id) !== resource) return;
      this.#byId.delete(session.id);
      release();
      this.#remember(resource);
    };
    // Closed while it was being answered (the stream ended at that moment).
    if (session.closed) session.onClose();
    return { id: session.id, answer };
  }

  get(id: string): WhipResource | undefined {
    return this.#byId.get(id);
  }

  /** A resource that ended within the last half minute. */
  ended(id: string): WhipResource | undefined {
    const entry = this.#ended.get(id);
    return entry && Date.now() - entry.at < ENDED_KEEP_MS ? entry.resource : undefined;
  }

  get size(): number {
    return this.#byId.size;
  }

  #remember(resource: WhipResource): void {
    const now = Date.now();
    this.#ended.set(resource.session.id, { resource, at: now });
    for (const [id, entry] of this.#ended) {
      if (this.#ended.size <= ENDED_MAX && now - entry.at < ENDED_KEEP_MS) break;
      this.#ended.delete(id);
    }
  }
}
