// Polling of the signed-in user's data, on the app's generic poller (#lib/poll.ts).
import { ApiError } from '#lib/api.ts';
import { startPolling, type Poller } from '#lib/poll.ts';
import { accountSession } from '#lib/wallet/accountSession.svelte.ts';

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
