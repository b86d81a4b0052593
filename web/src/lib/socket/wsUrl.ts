/** `ws(s)://<this host><path>`: the API shares the page's origin, so a socket follows its scheme. */
export function sameOriginWsUrl(path: string, loc: Pick<Location, 'protocol' | 'host'>): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}${path}`;
}
