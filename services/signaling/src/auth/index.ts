// What the rest of the service (HTTP routes, the WebSocket side, Platform) uses of sign-in.
export { AccountStore, toAccountView, type Account } from './AccountStore.ts';
export { createAuth, readCookie, type Auth, type AuthConfig, type AuthOptions } from './Auth.ts';
export { authRouter, authRoutes } from './authRouter.ts';
export { ChallengeStore } from './ChallengeStore.ts';
export { clearSessionCookie, requireAccount, sessionMiddleware, setSessionCookie } from './middleware.ts';
export { RateLimiter } from '@vilokanam/contracts/rate-limiter';
export { SessionIssuer, type SessionClaims } from './SessionIssuer.ts';
export { parseAddress, signatureMatches, walletCryptoReady, type WalletKey } from './wallet.ts';
