// The chain the platform settles on, as GET /api/v1/chain describes it: loaded once per page
// load and shared by every amount on the page, so they all speak the same token.
import type { ChainResponse } from '@vilokanam/contracts/money';
import { call } from '#lib/api.ts';
import type { Token } from './tokens.ts';

const RETRY_MS = 5_000;

class ChainInfo {
  value = $state.raw<ChainResponse | null>(null);
  #loading: Promise<ChainResponse> | null = null;

  /** The token amounts are shown in; null (planck) until the chain is known. */
  get token(): Token | null {
    return this.value?.token ?? null;
  }

  /** Loads once; a failure is retried on the next call after a pause, never in a tight loop. */
  load(): Promise<ChainResponse> {
    this.#loading ??= call<ChainResponse>('/chain').then(
      (v) => (this.value = v),
      (err: unknown) => {
        setTimeout(() => (this.#loading = null), RETRY_MS);
        throw err;
      },
    );
    return this.#loading;
  }
}

export const chainInfo = new ChainInfo();
