// The signed-in user's data on a live money page: polled while someone is signed in, and
// dropped the moment nobody is, so the sign-in prompt never sits above someone's old figures.
import { errorMessage } from '#lib/errors.ts';
import { accountSession } from '#lib/wallet/accountSession.svelte.ts';
import { pollSignedIn } from './poll.ts';

export class AccountData<T> {
  value = $state.raw<T | null>(null);
  /** The latest refresh's failure, as the page's error line says it; null once one succeeds. */
  error = $state<string | null>(null);
  /** The same failure as thrown, for a page that shows some failures its own way (admin: 403). */
  failure = $state.raw<unknown>(null);
  updatedAt = $state<Date | null>(null);
  readonly #signedIn = $derived(accountSession.status === 'signed-in');
  #poller: { refresh(): void } | null = null;

  /**
   * Construct during component setup: polling lives as long as the component. `loader` runs
   * inside an effect, so state it reads (a selected range) restarts polling when it changes.
   * `onSignedOut` drops whatever else the page built on the data (older history pages).
   */
  constructor(loader: () => (signal: AbortSignal) => Promise<T>, everyMs: number, onSignedOut?: () => void) {
    $effect(() => {
      const load = loader();
      if (!this.#signedIn) {
        this.value = null;
        this.updatedAt = null;
        this.error = null;
        this.failure = null;
        onSignedOut?.();
        return;
      }
      const poller = pollSignedIn(load, everyMs, {
        loaded: (value) => {
          this.value = value;
          this.updatedAt = new Date();
          this.error = null;
          this.failure = null;
        },
        failed: (e) => {
          this.error = errorMessage(e);
          this.failure = e;
        },
      });
      this.#poller = poller;
      return () => {
        this.#poller = null;
        poller.stop();
      };
    });
  }

  /** Loads now rather than at the next tick: something the page did changed the data. */
  refresh(): void {
    this.#poller?.refresh();
  }
}
