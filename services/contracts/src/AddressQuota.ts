/**
 * How many of a resource (sockets, WHIP sessions) each client address holds, bounded by `max`.
 * A place is taken before anything is awaited, so a burst of requests cannot slip past the
 * bound; the returned release frees it exactly once, however many close paths call it.
 */
export class AddressQuota {
  readonly #max: number;
  readonly #held = new Map<string, number>();

  constructor(max: number) {
    this.#max = max;
  }

  /** A release function, or undefined when the address already holds `max`. */
  take(address: string): (() => void) | undefined {
    const held = this.#held.get(address) ?? 0;
    if (held >= this.#max) return undefined;
    this.#held.set(address, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.#held.get(address) ?? 1) - 1;
      if (n > 0) this.#held.set(address, n);
      else this.#held.delete(address);
    };
  }

  held(address: string): number {
    return this.#held.get(address) ?? 0;
  }

  /** Addresses holding at least one place: memory is bounded by live resources. */
  get addresses(): number {
    return this.#held.size;
  }
}
