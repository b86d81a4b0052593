// The first steps of every (re)connect, run side by side: fetching a fresh token and
// opening the socket are independent, and together they are most of the pre-join wait.
import type { Role } from '@vilokanam/contracts/signaling';
import { createToken } from './api.ts';
import { SignalingClient, defaultSignalingUrl } from './SignalingClient.ts';

export interface OpenedSession {
  token: string;
  sig: SignalingClient;
}

export async function openSession(
  streamId: string,
  role: Role,
  options: { streamKey?: string; signalingUrl?: string; pricePerSecond?: string } = {},
): Promise<OpenedSession> {
  const [token, sig] = await Promise.allSettled([
    createToken(streamId, role, options.streamKey, options.pricePerSecond),
    SignalingClient.connect(options.signalingUrl ?? defaultSignalingUrl()),
  ]);
  if (token.status === 'rejected') {
    // Do not leave a socket open that nobody will ever join with.
    if (sig.status === 'fulfilled') sig.value.close();
    throw token.reason;
  }
  if (sig.status === 'rejected') throw sig.reason;
  return { token: token.value.token, sig: sig.value };
}
