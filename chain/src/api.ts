import { ApiPromise, WsProvider } from '@polkadot/api';

/**
 * Connects and waits until metadata is loaded. statemine 900 predates the metadata-at-version
 * runtime API, so @polkadot/api warns once and falls back to state_getMetadata; that is fine.
 */
export async function connectApi(wsUrl: string, opts: { timeoutMs?: number } = {}): Promise<ApiPromise> {
  const provider = new WsProvider(wsUrl, 1_000, {}, opts.timeoutMs ?? 60_000);
  try {
    return await ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true });
  } catch (err) {
    await provider.disconnect().catch(() => {});
    throw new Error(`cannot connect to ${wsUrl}: ${(err as Error).message}`);
  }
}
