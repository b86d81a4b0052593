// REST helpers for the money API (/api/v1/me/*, /api/v1/admin/*), on the app's one fetch helper:
// failures are the same ApiError everywhere, so pages branch on `status` (401: show the sign-in prompt).
import { apiUrl, call } from '#lib/api.ts';
import type { EarningsRange, EarningsResponse, ReconcilerResponse, WalletResponse } from '@vilokanam/contracts/money';

export function getWallet(opts: { limit?: number; before?: string } = {}, signal?: AbortSignal): Promise<WalletResponse> {
  return call('/me/wallet', { query: opts, signal });
}

export function getEarnings(range: EarningsRange, signal?: AbortSignal): Promise<EarningsResponse> {
  return call('/me/earnings', { query: { range }, signal });
}

export function getReconciler(limit = 20, signal?: AbortSignal): Promise<ReconcilerResponse> {
  return call('/admin/reconciler', { query: { limit }, signal });
}

/** A link the browser downloads: the server names the file (Content-Disposition). */
export function proofsUrl(batchId: string): string {
  return apiUrl('/me/proofs', { batch: batchId, limit: 1000 });
}

export interface FaucetInfo {
  available: boolean;
  amount: string;
  max: string;
}

/** The dev chain's faucet: only `npm start`'s embedded dev chain has one. */
export function getFaucet(signal?: AbortSignal): Promise<FaucetInfo> {
  return call('/dev/faucet', { signal });
}

/** Sends a real deposit (transfer plus memo) from the dev chain's faucet account to escrow for the signed-in user. */
export function requestFaucetDeposit(): Promise<{ txHash: string; amount: string }> {
  return call('/dev/faucet', { method: 'POST', body: {} });
}
