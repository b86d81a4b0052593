// Money and time formatting for the wallet, dashboard and admin pages. Amounts arrive as
// decimal planck strings and are formatted as strings: a float never holds one.
import type { PayoutView } from '@vilokanam/contracts/money';

const DECIMAL = /^-?(0|[1-9][0-9]*)$/;

/** "1234567" → "1,234,567"; "-900" → "−900" (a real minus sign). Anything else is shown as is. */
export function groupDigits(planck: string): string {
  if (!DECIMAL.test(planck)) return planck;
  const negative = planck.startsWith('-');
  const digits = negative ? planck.slice(1) : planck;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return negative ? `−${grouped}` : grouped;
}

export function formatPlanck(planck: string): string {
  return `${groupDigits(planck)} planck`;
}

/** A signed ledger amount with an explicit sign: "+1,000", "−63". */
export function formatSigned(planck: string): string {
  if (!DECIMAL.test(planck)) return planck;
  return planck.startsWith('-') || planck === '0' ? groupDigits(planck) : `+${groupDigits(planck)}`;
}

/** 45 → "45 s", 3725 → "1 h 2 min". */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (h === 0) return `${m} min${seconds % 60 ? ` ${seconds % 60} s` : ''}`;
  return `${h} h${m ? ` ${m} min` : ''}`;
}

/** Hashes and ids are recognised by both ends. */
export function shortHash(hash: string, keep = 6): string {
  return hash.length <= keep * 2 + 3 ? hash : `${hash.slice(0, keep + 2)}…${hash.slice(-keep)}`;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayHour = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', hour: '2-digit' });

export function formatDateTime(iso: string): string {
  return dateTime.format(new Date(iso));
}

/** A chart bucket's label: the time for minute buckets, day and hour for hour buckets. */
export function bucketLabel(iso: string, bucket: 'minute' | 'hour'): string {
  return (bucket === 'minute' ? time : dayHour).format(new Date(iso));
}

const PAYOUT_BADGE: Record<PayoutView['status'], string> = {
  finalized: 'badge--ok',
  submitted: 'badge--warn',
  pending: 'badge--warn',
  failed: 'badge--danger',
  expired: 'badge--danger',
};

/** The badge classes of a payout batch's status: paid, on its way, or paid nothing. */
export function payoutBadge(status: PayoutView['status']): string {
  return `badge ${PAYOUT_BADGE[status]}`;
}
