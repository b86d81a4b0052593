import { SignJWT, decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { canonicalControlUrl, ControlAuth } from './ControlAuth.ts';

const secret = 'x'.repeat(40);
const nodeA = { node: 'a', urls: ['http://10.0.0.1:7070'] };
const forA = { node: 'a', url: 'http://10.0.0.1:7070' };

/** A token made with the secret by hand, as a holder of it could: any claims, any times. */
function forge(claims: Record<string, unknown>, iat: number, exp: number): Promise<string> {
  return new SignJWT({ node: 'a', url: 'http://10.0.0.1:7070', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('vilokanam')
    .setAudience('vilokanam:sfu-control')
    .setSubject('signaling')
    .setJti(crypto.randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(secret));
}

describe('ControlAuth connect tokens', () => {
  it('accepts its own token for this node at this URL, and names the caller', async () => {
    const auth = new ControlAuth(secret);
    expect(await auth.verifyConnect(await auth.connectToken('signaling', forA), nodeA)).toBe('signaling');
  });

  it('names the node and the URL, and lives ten seconds', async () => {
    const claims = decodeJwt(await new ControlAuth(secret).connectToken('operator', { node: 'a', url: 'ws://10.0.0.1:7070/' }));
    expect(claims).toMatchObject({ node: 'a', url: 'http://10.0.0.1:7070', sub: 'operator', jti: expect.any(String) });
    expect(claims.exp! - claims.iat!).toBe(10);
    expect(() => new ControlAuth(secret).connectToken('x', forA, 60)).toThrow(/ttl/);
  });

  it('refuses a token for node A at node B', async () => {
    const auth = new ControlAuth(secret);
    const token = await auth.connectToken('signaling', forA);
    await expect(auth.verifyConnect(token, { node: 'b', urls: ['http://10.0.0.1:7070'] })).rejects.toThrow('control token is for another node');
  });

  it('refuses a token naming another URL, and takes any URL the node answers to', async () => {
    const auth = new ControlAuth(secret);
    const elsewhere = await auth.connectToken('signaling', { node: 'a', url: 'http://10.6.6.6:7070' });
    await expect(auth.verifyConnect(elsewhere, nodeA)).rejects.toThrow('control token is for another control URL');
    const viaAlias = await auth.connectToken('signaling', { node: 'a', url: 'ws://sfu-a.example:7070' });
    expect(await auth.verifyConnect(viaAlias, { node: 'a', urls: ['http://10.0.0.1:7070', 'http://SFU-A.example:7070/'] })).toBe('signaling');
  });

  it('refuses an expired token, one made to live longer than 15 s, and one from the future', async () => {
    const auth = new ControlAuth(secret);
    const now = Math.floor(Date.now() / 1000);
    await expect(auth.verifyConnect(await forge({}, now - 30, now - 20), nodeA)).rejects.toThrow(/invalid control token.*exp/);
    await expect(auth.verifyConnect(await forge({}, now, now + 3600), nodeA)).rejects.toThrow('control token lives too long');
    await expect(auth.verifyConnect(await forge({}, now + 600, now + 605), nodeA)).rejects.toThrow(/issued in the future/);
    expect(await auth.verifyConnect(await forge({}, now, now + 10), nodeA)).toBe('signaling');
  });

  it('expires for real: a one-second token is refused a few seconds later', async () => {
    const auth = new ControlAuth(secret);
    const token = await auth.connectToken('signaling', forA, 1);
    await new Promise((r) => setTimeout(r, 4_000));
    await expect(auth.verifyConnect(token, nodeA)).rejects.toThrow(/exp/);
  });

  it('is good once', async () => {
    const auth = new ControlAuth(secret);
    const token = await auth.connectToken('signaling', forA);
    await auth.verifyConnect(token, nodeA);
    await expect(auth.verifyConnect(token, nodeA)).rejects.toThrow('control token already used');
  });

  it('refuses tokens from another secret, and pipe grants used as connect tokens', async () => {
    const auth = new ControlAuth(secret);
    const other = new ControlAuth('y'.repeat(40));
    await expect(auth.verifyConnect(await other.connectToken('signaling', forA), nodeA)).rejects.toThrow(/invalid control token/);
    const grant = await auth.pipeGrant('p1', { ip: '10.0.0.1', port: 4000 });
    await expect(auth.verifyConnect(grant, nodeA)).rejects.toThrow(/invalid control token/);
  });
});

describe('ControlAuth pipe grants', () => {
  it('binds a pipe grant to one pipe and one peer', async () => {
    const auth = new ControlAuth(secret);
    const grant = await auth.pipeGrant('p1', { ip: '10.0.0.1', port: 4000 });
    await expect(auth.verifyPipeGrant(grant, 'p1', { ip: '10.0.0.1', port: 4000 })).resolves.toBeUndefined();
    await expect(auth.verifyPipeGrant(grant, 'p2', { ip: '10.0.0.1', port: 4000 })).rejects.toThrow(/does not match/);
    await expect(auth.verifyPipeGrant(grant, 'p1', { ip: '10.0.0.9', port: 4000 })).rejects.toThrow(/does not match/);
    await expect(auth.verifyPipeGrant(grant, 'p1', { ip: '10.0.0.1', port: 4001 })).rejects.toThrow(/does not match/);
  });

  it('requires a 32-byte secret', () => {
    expect(() => new ControlAuth('short')).toThrow(/32 bytes/);
  });
});

describe('canonicalControlUrl', () => {
  it('spells ws and http, case and trailing slashes one way', () => {
    expect(canonicalControlUrl('ws://Node-1:7070/')).toBe('http://node-1:7070');
    expect(canonicalControlUrl('wss://n:443')).toBe('https://n');
    expect(() => canonicalControlUrl('ftp://n:21')).toThrow(/not a control URL/);
  });
});
