// Display formatting shared by the pages.

const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });

/** 950 → "950", 1234 → "1.2K": card-sized viewer counts. */
export function formatCount(n: number): string {
  return compact.format(Math.max(0, n));
}

/** Mask a secret but keep its length roughly visible, so "is it pasted?" is answerable. */
export function maskSecret(secret: string): string {
  return '•'.repeat(Math.min(Math.max(secret.length, 8), 24));
}
