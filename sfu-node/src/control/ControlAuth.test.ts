import { describe, expect, it } from 'vitest';
import { ControlAuth } from './ControlAuth.ts';

const secret = 'x'.repeat(40);

describe('ControlAuth', () => {
  it('accepts its own connect tokens and names the caller', async () => {
    const auth = new ControlAuth(secret);
    expect(await auth.verifyConnect(await auth.connectToken('signaling'))).toBe('signaling');
  });
  it('refuses tokens from another secret, and pipe grants used as connect tokens', async () => {
    const auth = new ControlAuth(secret);
    const other = new ControlAuth('y'.repeat(40));
    await expect(auth.verifyConnect(await other.connectToken('signaling'))).rejects.toThrow();
    const grant = await auth.pipeGrant('p1', { ip: '10.0.0.1', port: 4000 });
    await expect(auth.verifyConnect(grant)).rejects.toThrow();
  });
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
