// Challenge → signature → session: the one flow every wallet goes through.
import type { AccountView } from '@vilokanam/contracts/auth';
import { login, requestChallenge } from '#lib/api.ts';

export type SignMessage = (message: string) => Promise<string>;

export async function signInWith(address: string, sign: SignMessage, displayName?: string): Promise<AccountView> {
  const { challenge } = await requestChallenge(address);
  const signature = await sign(challenge);
  return login({ address, challenge, signature, ...(displayName ? { displayName: displayName.slice(0, 64) } : {}) });
}
