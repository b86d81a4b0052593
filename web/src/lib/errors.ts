// One place that decides which failures are worth retrying. Auth and "no such thing"
// errors will not fix themselves, so reconnect loops stop on them instead of spinning.
import { ApiError } from './api.ts';
import { VilokanamError } from '@vilokanam/contracts/errors';
import { t } from '#lib/i18n/index.ts';

const FATAL_CODES = new Set(['unauthorized', 'forbidden', 'not_found', 'bad_request', 'unsupported_version', 'payment_required']);
const FATAL_STATUSES = new Set([400, 401, 402, 403, 404]);

/** Where a refused viewer can fix it: sign in, or top up the wallet. */
export function remedyFor(error: unknown, here: string = globalThis.location?.pathname ?? '/'): { href: string; label: string } | null {
  const code = errorCode(error);
  if (code === 'payment_required') return { href: '/wallet', label: t('errors.topUp') };
  if (code === 'unauthorized') return { href: `/signin?next=${encodeURIComponent(here)}`, label: t('errors.signIn') };
  return null;
}

/** Codes that mean "the stream is not (or no longer) accepting media". */
const NOT_LIVE_CODES = new Set(['stream_not_live', 'conflict']);

export function errorCode(error: unknown): string | null {
  if (error instanceof VilokanamError) return error.code;
  return null;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  if (typeof error === 'string' && error) return error;
  return t('errors.somethingWrong');
}

export function isFatal(error: unknown): boolean {
  // mediasoup-client's verdict that this browser cannot do WebRTC the way we need.
  if (error instanceof Error && error.name === 'UnsupportedError') return true;
  if (error instanceof ApiError && FATAL_STATUSES.has(error.status)) return true;
  const code = errorCode(error);
  return code !== null && FATAL_CODES.has(code);
}

export function isNotLive(error: unknown): boolean {
  if (error instanceof ApiError && error.status === 409) return true;
  const code = errorCode(error);
  return code !== null && NOT_LIVE_CODES.has(code);
}
