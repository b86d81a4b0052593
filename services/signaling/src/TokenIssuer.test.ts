import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TokenError, TokenIssuer } from './TokenIssuer.ts';

const secret = randomBytes(32);

describe('TokenIssuer', () => {
  it('round-trips a grant for one stream and role', async () => {
    const issuer = new TokenIssuer(secret, 60);
    const { token, expiresAt } = await issuer.issue({ streamId: 's1', role: 'viewer' }, 1_000_000);
    expect(expiresAt.getTime()).toBe(1_060_000);
    await expect(issuer.verify(token, 1_000_000)).resolves.toEqual({ streamId: 's1', role: 'viewer' });
  });
  it('refuses an expired token and says so', async () => {
    const issuer = new TokenIssuer(secret, 60);
    const { token } = await issuer.issue({ streamId: 's1', role: 'publisher' }, 1_000_000);
    const err = await issuer.verify(token, 1_000_000 + 61_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenError);
    expect((err as TokenError).expired).toBe(true);
  });
  it('refuses a token signed with another secret or tampered with', async () => {
    const mine = new TokenIssuer(secret, 60);
    const theirs = new TokenIssuer(randomBytes(32), 60);
    const { token } = await theirs.issue({ streamId: 's1', role: 'publisher' });
    await expect(mine.verify(token)).rejects.toThrow('invalid token');
    const good = (await mine.issue({ streamId: 's1', role: 'viewer' })).token;
    const [h, p, s] = good.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), role: 'publisher' })).toString('base64url');
    await expect(mine.verify(`${h}.${forged}.${s}`)).rejects.toThrow('invalid token');
  });
  it('requires a 32-byte secret', () => {
    expect(() => new TokenIssuer(randomBytes(16), 60)).toThrow(/32 bytes/);
  });
});
