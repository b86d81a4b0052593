// Mirrors each stream's route from LiveStream status to Redis (key vilo:route:<streamId>, no
// expiry: the operator deletes it when the stream is released) and announces every change on
// vilo:routes. Writes are skipped when the route is unchanged since this process last wrote it.
import type { Redis } from 'ioredis';
import { ROUTE_CHANNEL, ROUTE_KEY_PREFIX, routeKey, type RouteTombstone, type StreamRoute } from '@vilokanam/contracts/routes';

export class RouteMirror {
  readonly #redis: Redis;
  readonly #written = new Map<string, string>();

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  async put(route: StreamRoute): Promise<boolean> {
    // updatedAt changes every call; compare everything else.
    const fingerprint = JSON.stringify({ ...route, updatedAt: 0 });
    if (this.#written.get(route.streamId) === fingerprint) return false;
    const json = JSON.stringify(route);
    await this.#redis.multi().set(routeKey(route.streamId), json).publish(ROUTE_CHANNEL, json).exec();
    this.#written.set(route.streamId, fingerprint);
    return true;
  }

  async delete(streamId: string): Promise<void> {
    const tomb: RouteTombstone = { v: 1, streamId, deleted: true };
    await this.#redis.multi().del(routeKey(streamId)).publish(ROUTE_CHANNEL, JSON.stringify(tomb)).exec();
    this.#written.delete(streamId);
  }

  async get(streamId: string): Promise<StreamRoute | undefined> {
    const json = await this.#redis.get(routeKey(streamId));
    return json ? (JSON.parse(json) as StreamRoute) : undefined;
  }

  /** Stream ids that have a route key. */
  async streamIds(): Promise<string[]> {
    const ids: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.#redis.scan(cursor, 'MATCH', `${ROUTE_KEY_PREFIX}*`, 'COUNT', 500);
      cursor = next;
      ids.push(...keys.map((k) => k.slice(ROUTE_KEY_PREFIX.length)));
    } while (cursor !== '0');
    return ids;
  }

  /**
   * Deletes this namespace's route keys whose stream no longer exists (left by a crash
   * mid-release). Routes of another namespace's operator sharing the Redis are left alone.
   */
  async collect(namespace: string, isLive: (streamId: string) => boolean): Promise<string[]> {
    const stale: string[] = [];
    // Liveness is asked after the key was seen: a stream exists before its route is written.
    for (const id of await this.streamIds()) {
      const route = await this.get(id);
      if (isLive(id) || (route && route.namespace !== namespace)) continue;
      await this.delete(id);
      stale.push(id);
    }
    return stale;
  }

  /** Forget what was written, so the next put rewrites (e.g. after gaining leadership). */
  reset(): void {
    this.#written.clear();
  }
}
