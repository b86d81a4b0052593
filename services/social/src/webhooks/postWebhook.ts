// One webhook request: the body signed with the webhook's secret, sent with a hard timeout,
// and connected only to addresses the SSRF rules allow (checked after DNS, so a name that
// resolves inward is refused however it was registered).
import { createHmac } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isPrivateAddress } from './targets.ts';

export const SIGNATURE_HEADER = 'X-Vilokanam-Signature';
export const TIMESTAMP_HEADER = 'X-Vilokanam-Timestamp';
export const DELIVERY_HEADER = 'X-Vilokanam-Delivery';

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`, keyed by the secret string as shown at creation. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

export interface WebhookRequest {
  url: string;
  secret: string;
  deliveryId: string;
  body: string;
  timeoutMs: number;
  allowPrivateTargets: boolean;
  /** Unix seconds; injectable for tests. */
  timestamp?: number;
}

/** What came of one attempt: `status` is the HTTP status, `timeout`, `blocked` or a network error code. */
export interface WebhookResult {
  ok: boolean;
  status: string;
  /** The target resolved to an address webhooks may not reach: retrying will not help. */
  blocked: boolean;
}

class BlockedTarget extends Error {
  readonly code = 'EBLOCKED';
}

/** Sends one signed POST; never throws, never follows redirects, never reads the response body. */
export function postWebhook(req: WebhookRequest): Promise<WebhookResult> {
  const timestamp = String(req.timestamp ?? Math.floor(Date.now() / 1000));
  const url = new URL(req.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // Literal addresses skip DNS, so the guarded lookup below would never see them.
  if (!req.allowPrivateTargets && isIP(host) !== 0 && isPrivateAddress(host)) {
    return Promise.resolve({ ok: false, status: 'blocked', blocked: true });
  }
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    const request = client.request(url, {
      method: 'POST',
      agent: false,
      signal: AbortSignal.timeout(req.timeoutMs),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Vilokanam-Webhooks/1',
        [SIGNATURE_HEADER]: signWebhook(req.secret, timestamp, req.body),
        [TIMESTAMP_HEADER]: timestamp,
        [DELIVERY_HEADER]: req.deliveryId,
      },
      ...(req.allowPrivateTargets ? {} : { lookup: publicOnlyLookup }),
    });
    request.on('response', (res) => {
      const status = res.statusCode ?? 0;
      // The status is all a delivery needs; a huge or endless body must not hold the socket.
      res.destroy();
      resolve({ ok: status >= 200 && status < 300, status: String(status), blocked: false });
    });
    request.on('error', (err: Error & { code?: string }) => {
      if (err instanceof BlockedTarget || err.code === 'EBLOCKED') resolve({ ok: false, status: 'blocked', blocked: true });
      else if (err.name === 'AbortError' || err.name === 'TimeoutError' || err.code === 'ABORT_ERR') resolve({ ok: false, status: 'timeout', blocked: false });
      else resolve({ ok: false, status: err.code ?? 'error', blocked: false });
    });
    request.end(req.body);
  });
}

/** dns.lookup, refusing when any address the name resolves to is private. */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
    if (err) return callback(err, '', 0);
    if (addresses.length === 0 || addresses.some((a) => isPrivateAddress(a.address))) {
      return callback(new BlockedTarget(`${hostname} resolves to an address webhooks may not reach`), '', 0);
    }
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    const first = addresses[0]!;
    callback(null, first.address, first.family);
  });
};
