// Request/reply correlation for a socket protocol whose replies echo the request's id: the table
// of requests in flight, each with its own timeout, all failed at once when the socket goes.
// SignalingClient and ChatClient share it, so a reply, a timeout and a drop settle a request the
// same way on both sockets; each client still says which errors its callers see.

interface Waiting {
  resolve: (data: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class PendingRequests {
  readonly #timeoutMs: number;
  readonly #waiting = new Map<number, Waiting>();
  #nextId = 1;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Sends one request under a fresh id and waits for its reply. `T` is the reply's shape, which the
   * protocol's response map fixes per request type; `timedOut` makes the error when none comes in time.
   */
  send<T>(transmit: (id: number) => void, timedOut: () => Error): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(timedOut());
      }, this.#timeoutMs);
      this.#waiting.set(id, { resolve: resolve as (data: unknown) => void, reject, timer });
      transmit(id);
    });
  }

  /** A reply to a request that already timed out finds no one waiting and is dropped. */
  resolve(id: number, data: unknown): void {
    this.#take(id)?.resolve(data);
  }

  reject(id: number, error: Error): void {
    this.#take(id)?.reject(error);
  }

  /** The socket is gone: every request still waiting fails, each with its own error. */
  failAll(error: () => Error): void {
    for (const waiting of this.#waiting.values()) {
      clearTimeout(waiting.timer);
      waiting.reject(error());
    }
    this.#waiting.clear();
  }

  #take(id: number): Waiting | undefined {
    const waiting = this.#waiting.get(id);
    if (!waiting) return undefined;
    this.#waiting.delete(id);
    clearTimeout(waiting.timer);
    return waiting;
  }
}
