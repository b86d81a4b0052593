// Which address a request really comes from. X-Forwarded-For is anyone's to write, so it is
// believed only hop by hop from proxies the operator named (VILO_TRUSTED_PROXIES); by default
// no proxy is trusted and the address is the socket's peer. Rate limits and per-IP caps key on
// this, so a client cannot mint itself fresh addresses with a header.
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

export type ClientAddress = (req: IncomingMessage) => string;

/** Throws on an entry that is neither an address, a CIDR nor one of proxy-addr's names. */
export function clientAddressResolver(trustedProxies: readonly string[]): ClientAddress {
  let trust: (addr: string, i: number) => boolean;
  try {
    trust = proxyaddr.compile([...trustedProxies]);
  } catch (err) {
    throw new Error(`VILO_TRUSTED_PROXIES: ${(err as Error).message}`);
  }
  return (req) => proxyaddr(req, trust) || 'unknown';
}
