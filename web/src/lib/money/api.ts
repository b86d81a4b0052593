// REST helpers for the money API (/api/v1/me/*, /api/v1/admin/*). Failures become the same ApiError
// the rest of the app uses, so pages branch on `status` (401: show the sign-in prompt).
import { ApiError } from '#lib/api.ts';
import type { EarningsRange, EarningsResponse, ReconcilerResponse, WalletResponse } from '@vilokanam/contracts/money';

const BASE = '/api/v1';

async function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${BASE}${path}`, { headers: { Accept: 'application/json' }, credentials: 'same-origin', signal: signal ?? null });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'network', 'Could not reach the server. Check your connection.');
  }
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const err = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    throw new ApiError(
      res.status,
      typeof err?.code === 'string' ? err.code : 'http_error',
      typeof err?.message === 'string' ? err.message : `Request failed (${res.status})`,
    );
  }
  if (body === null) throw new ApiError(res.status, 'bad_response', 'The server sent an unreadable response');
  // Response shapes are fixed by the contract in types.ts.
  return body as T;
}

const query = (params: Record<string, string | number | undefined>): string => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
};

export function getWallet(opts: { limit?: number; before?: string } = {}, signal?: AbortSignal): Promise<WalletResponse> {
  return get(`/me/wallet${query(opts)}`, signal);
}

export function getEarnings(range: EarningsRange, signal?: AbortSignal): Promise<EarningsResponse> {
  return get(`/me/earnings${query({ range })}`, signal);
}

export function getReconciler(limit = 20, signal?: AbortSignal): Promise<ReconcilerResponse> {
  return get(`/admin/reconciler${query({ limit })}`, signal);
}

/** A link the browser downloads: the server names the file (Content-Disposition). */
export function proofsUrl(batchId: string): string {
  return `${BASE}/me/proofs${query({ batch: batchId, limit: 1000 })}`;
}

export interface FaucetInfo {
  available: boolean;
  amount: string;
  max: string;
}

/** The dev chain's faucet: only `npm start`'s embedded dev chain has one. */
export function getFaucet(signal?: AbortSignal): Promise<FaucetInfo> {
  return get('/dev/faucet', signal);
}

/** Sends a real deposit (transfer plus memo) from the dev chain's faucet account to escrow for the signed-in user. */
export async function requestFaucetDeposit(): Promise<{ txHash: string; amount: string }> {
  const res = await fetch(`${BASE}/dev/faucet`, { method: 'POST', headers: { Accept: 'application/json', 'content-type': 'application/json' }, credentials: 'same-origin', body: '{}' });
  const body = (await res.json().catch(() => null)) as { txHash: string; amount: string; error?: { code?: string; message?: string } } | null;
  if (!res.ok || !body) throw new ApiError(res.status, body?.error?.code ?? 'http_error', body?.error?.message ?? `Request failed (${res.status})`);
  return body;
}
