// Typed REST helpers for /api/v1, all on one fetch helper. Every failure becomes an ApiError carrying the
// server's message (what the user should read) and code (what the code branches on).
import { VilokanamError } from '@vilokanam/contracts/errors';
import type { AccountResponse, AccountView, ChallengeResponse, LoginRequest } from '@vilokanam/contracts/auth';
import type { Role, StreamView } from '@vilokanam/contracts/signaling';

const BASE = '/api/v1';

export class ApiError extends VilokanamError {
  readonly status: number;

  constructor(status: number, code: string, message: string) {
    super(code, message);
    this.status = status;
  }
}

export interface CreatedStream {
  stream: StreamView;
  streamKey: string;
}

export interface IssuedToken {
  token: string;
  expiresAt: string;
}

/** Query parameters; undefined ones are left out, so optional filters need no branching. */
export type Query = Record<string, string | number | undefined>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  query?: Query;
  body?: unknown;
  /** A raw upload (an avatar, an emote) sent as is, with its own type, instead of a JSON body. */
  file?: Blob;
  streamKey?: string;
  signal?: AbortSignal;
}

/** The address of an /api/v1 path; also what links the browser follows itself (downloads) point at. */
export function apiUrl(path: string, query: Query = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return `${BASE}${path}${s ? `?${s}` : ''}`;
}

/** Every /api/v1 request goes through here, so cookies, aborts and errors behave alike on every page. */
export async function call<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.file) headers['Content-Type'] = options.file.type || 'application/octet-stream';
  else if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.streamKey) headers.Authorization = `Bearer ${options.streamKey}`;

  let res: Response;
  try {
    res = await fetch(apiUrl(path, options.query), {
      method: options.method ?? 'GET',
      headers,
      body: options.file ?? (options.body === undefined ? null : JSON.stringify(options.body)),
      // The session cookie (httpOnly, so scripts never read it) rides along on every call.
      credentials: 'same-origin',
      signal: options.signal ?? null,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'network', 'Could not reach the server. Check your connection.');
  }

  if (res.status === 204) return undefined as T;
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const err = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    const message = typeof err?.message === 'string' ? err.message : `Request failed (${res.status})`;
    const code = typeof err?.code === 'string' ? err.code : 'http_error';
    throw new ApiError(res.status, code, message);
  }
  if (body === null) throw new ApiError(res.status, 'bad_response', 'The server sent an unreadable response');
  // Response shapes are fixed by the API contract shared with the server.
  return body as T;
}

const enc = encodeURIComponent;

export function createStream(input: { title: string; category: string; tags?: string[]; pricePerSecond?: string; recording?: boolean }): Promise<CreatedStream> {
  return call<CreatedStream>('/streams', { method: 'POST', body: input });
}

export async function listStreams(status?: StreamView['status'], signal?: AbortSignal): Promise<StreamView[]> {
  return (await call<{ streams: StreamView[] }>('/streams', { query: { status }, signal })).streams;
}

export async function getStream(id: string, signal?: AbortSignal): Promise<StreamView> {
  return (await call<{ stream: StreamView }>(`/streams/${enc(id)}`, { signal })).stream;
}

export async function startStream(id: string, streamKey: string): Promise<StreamView> {
  return (await call<{ stream: StreamView }>(`/streams/${enc(id)}/start`, { method: 'POST', streamKey })).stream;
}

export async function stopStream(id: string, streamKey: string): Promise<StreamView> {
  return (await call<{ stream: StreamView }>(`/streams/${enc(id)}/stop`, { method: 'POST', streamKey })).stream;
}

/** Tokens are short-lived: fetch one per (re)connect, never cache them. */
export function createToken(id: string, role: Role, streamKey?: string, pricePerSecond?: string): Promise<IssuedToken> {
  // A viewer sends the price they were shown: if it changed, the server refuses (409).
  const body = pricePerSecond === undefined ? { role } : { role, pricePerSecond };
  return call<IssuedToken>(`/streams/${enc(id)}/tokens`, { method: 'POST', body, streamKey });
}

/** A one-time message for the wallet behind `address` to sign. */
export function requestChallenge(address: string): Promise<ChallengeResponse> {
  return call<ChallengeResponse>('/auth/challenge', { method: 'POST', body: { address } });
}

/** Trades a signed challenge for a session cookie. */
export async function login(request: LoginRequest): Promise<AccountView> {
  return (await call<AccountResponse>('/auth/login', { method: 'POST', body: request })).account;
}

export async function logout(): Promise<void> {
  await call<void>('/auth/logout', { method: 'POST' });
}

/** The signed-in account, or null when this browser has no session. */
export async function getMe(signal?: AbortSignal): Promise<AccountView | null> {
  try {
    return (await call<AccountResponse>('/me', { signal })).account;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}
