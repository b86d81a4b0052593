// Who is signed in, shared by the header and the sign-in page. The session itself lives in
// an httpOnly cookie; this only mirrors what /me says.
import type { AccountView } from '@vilokanam/contracts/auth';
import { getMe, logout } from '#lib/api.ts';

export class AccountSession {
  account = $state<AccountView | null>(null);
  /** `unknown` until /me answers, so the header does not flash "Sign in" for a signed-in user. */
  status = $state<'unknown' | 'signed-in' | 'signed-out'>('unknown');

  async refresh(): Promise<void> {
    try {
      this.set(await getMe());
    } catch {
      // Offline or a server error: show the signed-out state rather than nothing.
      this.set(null);
    }
  }

  set(account: AccountView | null): void {
    this.account = account;
    this.status = account ? 'signed-in' : 'signed-out';
  }

  async signOut(): Promise<void> {
    await logout();
    this.set(null);
  }
}

export const accountSession = new AccountSession();
