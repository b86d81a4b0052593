// The sign-in wire contract, shared with the browser. Types only: the web app imports this
// file, so it must not pull in anything that runs on the server.

/** The cookie that carries a signed session token; httpOnly, so page scripts never see it. */
export const SESSION_COOKIE = 'vilo_session';

export interface AccountView {
  /** The 32-byte public key as lowercase 0x hex: stable whatever SS58 prefix a wallet shows. */
  id: string;
  /** The same key as SS58 with the platform's prefix (42, generic Substrate, by default). */
  address: string;
  displayName: string | null;
  createdAt: string;
}

export interface ChallengeRequest {
  /** SS58, any prefix. */
  address: string;
}

export interface ChallengeResponse {
  /** The exact text to sign, as UTF-8 bytes (a wallet may wrap it in <Bytes>…</Bytes>). */
  challenge: string;
  expiresAt: string;
}

export interface LoginRequest {
  address: string;
  challenge: string;
  /** 0x hex of a sr25519, ed25519 or ecdsa signature over the challenge. */
  signature: string;
  /** Used only when the account has no name yet, e.g. the wallet's label for the account. */
  displayName?: string;
}

export interface AccountResponse {
  account: AccountView;
}
