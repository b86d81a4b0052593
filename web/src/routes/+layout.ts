// The message catalogue is registered before any page renders.
import '#lib/i18n/index.ts';
// A pure client-side app: the signaling server serves index.html for every path and
// everything (media, sockets, localStorage) only exists in the browser anyway.
export const ssr = false;
export const prerender = false;
