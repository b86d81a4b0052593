// The subscribers to a socket's server events, keyed by event name. A handler that throws is
// logged and skipped, so one broken panel cannot keep the others from hearing an event.

export class EventHandlers<M> {
  readonly #handlers = new Map<keyof M, Set<(data: never) => void>>();
  /** Names the socket in the log line of a failed handler. */
  readonly #label: string;

  constructor(label: string) {
    this.#label = label;
  }

  /** Subscribe to an event; returns the unsubscribe. */
  on<E extends keyof M>(event: E, handler: (data: M[E]) => void): () => void {
    let set = this.#handlers.get(event);
    if (!set) {
      set = new Set();
      this.#handlers.set(event, set);
    }
    const stored = handler as (data: never) => void;
    set.add(stored);
    return () => set.delete(stored);
  }

  emit<E extends keyof M>(event: E, data: M[E]): void {
    // Copy first: a handler may unsubscribe itself (or another) while we iterate.
    for (const handler of [...(this.#handlers.get(event) ?? [])]) {
      try {
        (handler as (d: M[E]) => void)(data);
      } catch (error) {
        console.error(`[${this.#label}] ${String(event)} handler failed`, error);
      }
    }
  }

  clear(): void {
    this.#handlers.clear();
  }
}
