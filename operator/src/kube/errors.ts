// The apiserver's answers, as client-node surfaces them (ApiException.code, or a watch
// error's statusCode).
export function statusOf(err: unknown): number | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e.code === 'number') return e.code;
  if (typeof e.statusCode === 'number') return e.statusCode;
  return undefined;
}

export function isStatus(err: unknown, ...codes: number[]): boolean {
  const status = statusOf(err);
  return status !== undefined && codes.includes(status);
}

/** The apiserver's own message from an ApiException body, else the error's. */
export function kubeMessage(err: unknown): string {
  const body = (err as { body?: unknown })?.body;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: string };
      if (parsed.message) return parsed.message;
    } catch {
      return body.slice(0, 300);
    }
  }
  if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') {
    return (body as { message: string }).message;
  }
  return err instanceof Error ? err.message : String(err);
}
