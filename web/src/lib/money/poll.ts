// Live pages refresh on a timer. A hidden tab does not poll; it catches up the moment it is
// shown again. A refresh that is still running when the next starts is aborted, so a slow
// answer never overwrites a newer one.
import { ApiError } from '#lib/api.ts';
import { accountSession } from '#lib/wallet/accountSession.svelte.ts';

export interface Poller {
  /** Refresh now (a filter changed), then keep the timer going. */
  refresh(): void;
  stop(): void;
}

/** `run` owns its error handling; it receives a signal that aborts when it is superseded. */
export function startPolling(run: (signal: AbortSignal) => Promise<void>, everyMs: number): Poller {
  let controller: AbortController | null = null;
  let stopped = false;
  const tick = () => {
    if (stopped || document.hidden) return;
    controller?.abort();
    const mine = (controller = new AbortController());
    run(mine.signal).catch(() => {
      // run reports its own failures; an aborted one is simply superseded.
    });
  };
  tick();
  const timer = setInterval(tick, everyMs);
  document.addEventListener('visibilitychange', tick);
  return {
    refresh: tick,
    stop() {
      stopped = true;
      clearInterval(timer);
      document.removeEventListener('visibilitychange', tick);
      controller?.abort();
    },
  };
}

/**
 * Polls the signed-in user's data. A superseded refresh is dropped; a 401 means the session
 * ended elsewhere (signed out in another tab, expired), so the page shows its sign-in prompt;
 * any other failure goes to `failed`.
 */
export function pollSignedIn<T>(
  load: (signal: AbortSignal) => Promise<T>,
  everyMs: number,
  on: { loaded(value: T): void; failed(error: unknown): void },
): Poller {
  return startPolling(async (signal) => {
    try {
      on.loaded(await load(signal));
    } catch (e) {
      if (signal.aborted) return;
      if (e instanceof ApiError && e.status === 401) accountSession.set(null);
      else on.failed(e);
    }
  }, everyMs);
}
