// Which sfu-node pods each stream uses, from LiveStream status: the fleet reconciler must know
// which pods host origins (never drained) and how many origins each pod carries (a placement
// reservation, so a burst of new streams spreads before the next load report shows them).
import type { LiveStreamStatus } from '../api/livestream.ts';

interface Use {
  origin: string | undefined;
  edges: string[];
}

export class RoutingIndex {
  readonly #uses = new Map<string, Use>();

  set(key: string, status: LiveStreamStatus | undefined): void {
    const origin = status?.origin?.pod || undefined;
    const edges = (status?.edges ?? []).map((e) => e.pod);
    if (!origin && edges.length === 0) this.#uses.delete(key);
    else this.#uses.set(key, { origin, edges });
  }

  delete(key: string): void {
    this.#uses.delete(key);
  }

  originsOn(pod: string): number {
    let n = 0;
    for (const u of this.#uses.values()) if (u.origin === pod) n++;
    return n;
  }

  /** Stream keys whose origin or an edge is on this pod. */
  streamsOn(pod: string): string[] {
    return [...this.#uses].filter(([, u]) => u.origin === pod || u.edges.includes(pod)).map(([k]) => k);
  }

  /** Origin count per pod, for every pod hosting one. */
  originCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const u of this.#uses.values()) if (u.origin) counts.set(u.origin, (counts.get(u.origin) ?? 0) + 1);
    return counts;
  }

  /** Pods carrying at least one edge. */
  edgeHosts(): Set<string> {
    const pods = new Set<string>();
    for (const u of this.#uses.values()) for (const e of u.edges) pods.add(e);
    return pods;
  }

  keys(): string[] {
    return [...this.#uses.keys()];
  }

  clear(): void {
    this.#uses.clear();
  }
}
