// Sign-in wired into the real platform (createApp's middleware order, the Platform's
// exports for the WebSocket side), with every log line captured to prove no secret leaks.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SfuNode, sfuConfigFromEnv } from '@vilokanam/sfu-node';
import { signalingConfigFromEnv } from '../config.ts';
import { startPlatform, type Platform } from '../Platform.ts';
import { AuthClient, newPair, sign } from '@vilokanam/testkit/clients';

let platform: Platform;
let sfu: SfuNode;
const logs: string[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const log = pino({ level: 'trace' }, sink);
  sfu = new SfuNode(sfuConfigFromEnv({ ...process.env, VILO_SFU_WORKERS: '1' }), pino({ level: 'silent' }));
  await sfu.start();
  const config = signalingConfigFromEnv({
    VILO_PORT: '0',
    VILO_DATA_DIR: 'memory://',
    VILO_SESSION_SECRET: randomBytes(24).toString('hex'),
  });
  platform = await startPlatform(config, { sfu, log });
});
afterAll(async () => {
  await platform?.close();
  sfu?.close();
});

describe('sign-in on the platform', () => {
  it('signs in, serves /me next to the streams API, and signs out', async () => {
    const pair = newPair('sr25519');
    const client = new AuthClient(platform.url);
    expect((await client.me()).status).toBe(401);
    const c = await client.challenge(pair.address);
    const signature = sign(pair, c.body.challenge, true);
    const login = await client.login({ address: pair.address, challenge: c.body.challenge, signature });
    expect(login.status).toBe(200);
    const token = client.cookie!.slice('vilo_session='.length);

    expect((await client.me()).body.account.address).toBe(pair.address);
    // Other API routes still answer with a session cookie present.
    expect((await client.call('/streams')).status).toBe(200);
    expect(await platform.accounts.get(login.body.account.id)).toMatchObject({ address: pair.address });
    expect(await platform.accountFromCookieHeader(client.cookie)).toMatchObject({ id: login.body.account.id });

    expect((await client.logout()).status).toBe(204);
    expect((await client.me()).status).toBe(401);
    expect(await platform.accountFromCookieHeader(`vilo_session=${token}`)).toBeUndefined();

    const written = logs.join('');
    expect(written).toContain('"path":"/api/v1/auth/login"');
    for (const secret of [signature, signature.slice(2), token]) expect(written).not.toContain(secret);
  });

  it('answers unknown auth routes and methods with JSON errors', async () => {
    const client = new AuthClient(platform.url);
    expect(await client.call('/auth/nope', { body: {} })).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    const wrongMethod = await client.call('/auth/login');
    expect(wrongMethod).toMatchObject({ status: 405, body: { error: { code: 'bad_request' } } });
    expect(wrongMethod.headers.get('allow')).toContain('POST');
  });
});
