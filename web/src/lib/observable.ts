// A minimal value holder that satisfies Svelte's store contract (subscribe calls back
// immediately and returns an unsubscribe), so the media classes stay framework-agnostic
// while components can still bind to them directly.

export type Listener<T> = (value: T) => void;

export class Observable<T> {
  #value: T;
  readonly #listeners = new Set<Listener<T>>();

  constructor(initial: T) {
    this.#value = initial;
  }

  get value(): T {
    return this.#value;
  }

  set(next: T): void {
    this.#value = next;
    // Copy first: a listener may unsubscribe itself while we iterate.
    for (const listener of [...this.#listeners]) listener(next);
  }

  /** Shallow-merge a patch into an object value. */
  patch(this: Observable<T & object>, patch: Partial<T>): void {
    this.set({ ...this.#value, ...patch });
  }

  subscribe(listener: Listener<T>): () => void {
    this.#listeners.add(listener);
    listener(this.#value);
    return () => {
      this.#listeners.delete(listener);
    };
  }
}
