// Real network namespaces, veth pairs and a bridge (needs root): what a namespaced process
// sees and reaches, what the root namespace reaches, and that nothing is left behind.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ip } from './ip.ts';
import { NetnsBridge } from './NetnsBridge.ts';
import type { NetnsHost } from './NetnsHost.ts';
import { RedisServer } from './RedisServer.ts';

// Probe once: without namespaces (not root, no iproute2) the file fails with the reason; it
// never skips, as the cascade tests that rely on namespaces do not.
const unavailable = await NetnsBridge.create().then(
  async (b) => {
    await b.stop();
    return undefined;
  },
  (err: Error) => err.message,
);
if (unavailable) throw new Error(`network namespaces cannot be made (root and iproute2 are needed): ${unavailable}`);

const namespaces = async () => (await ip('netns', 'list')).split('\n').map((l) => l.split(' ')[0]);
const linkNames = async () => (JSON.parse((await ip('-j', 'link', 'show')) || '[]') as { ifname: string }[]).map((l) => l.ifname);

/** Runs `code` with node inside `host`; resolves with the child and the JSON it prints. */
async function runInside(host: NetnsHost, code: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; out: any }> {
  const child = host.spawn(process.execPath, ['--input-type=module', '-e', code], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  const code_ = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code_, stdout).toBe(0);
  return { child, out: JSON.parse(stdout) };
}

async function listen(host: string): Promise<{ server: net.Server; port: number; peers: string[] }> {
  const peers: string[] = [];
  const server = net.createServer((s) => {
    peers.push(s.remoteAddress!);
    s.end('hi');
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, port: (server.address() as net.AddressInfo).port, peers };
}

// Connects to HOST:PORT and prints what came back, or the error code.
const CONNECT = `
import net from 'node:net';
const s = net.connect({ host: process.env.HOST, port: Number(process.env.PORT) });
let got = '';
s.on('data', (c) => (got += c));
s.on('end', () => console.log(JSON.stringify({ got })));
s.on('error', (e) => console.log(JSON.stringify({ error: e.code })));
`;

describe('NetnsHost on a NetnsBridge', () => {
  let bridge: NetnsBridge;
  let a: NetnsHost;
  let b: NetnsHost;

  beforeAll(async () => {
    bridge = await NetnsBridge.create();
    a = await bridge.addHost();
    b = await bridge.addHost();
  });

  afterAll(async () => {
    await bridge?.stop();
  });

  it('gives each host its own address on the bridge subnet and a veth in the bridge', async () => {
    expect(a.ip).toBe(`10.203.${bridge.subnet}.10`);
    expect(b.ip).toBe(`10.203.${bridge.subnet}.11`);
    expect(await namespaces()).toEqual(expect.arrayContaining([a.name, b.name]));
    const ports = JSON.parse(await ip('-j', 'link', 'show', 'master', bridge.name)) as { ifname: string }[];
    expect(ports.map((p) => p.ifname).sort()).toEqual([a.veth, b.veth].sort());
  });

  it('runs a process that sees only its own address, under its own pid, and reaches the bridge but not the root loopback', async () => {
    const onBridge = await listen(bridge.ip);
    const onRootLoopback = await listen('127.0.0.1');
    try {
      const { child, out } = await runInside(
        a,
        `
        import os from 'node:os';
        import net from 'node:net';
        const connect = (host, port) => new Promise((resolve) => {
          const s = net.connect({ host, port });
          let got = '';
          s.setTimeout(3000, () => { s.destroy(); resolve('timeout'); });
          s.on('data', (c) => (got += c));
          s.on('end', () => resolve(got));
          s.on('error', (e) => resolve(e.code));
        });
        const addrs = Object.values(os.networkInterfaces()).flat().filter((i) => i.family === 'IPv4').map((i) => i.address).sort();
        console.log(JSON.stringify({
          pid: process.pid,
          ifaces: Object.keys(os.networkInterfaces()).sort(),
          addrs,
          bridge: await connect(process.env.BRIDGE, Number(process.env.BRIDGE_PORT)),
          rootLoopback: await connect('127.0.0.1', Number(process.env.LOOPBACK_PORT)),
        }));
        `,
        { BRIDGE: bridge.ip, BRIDGE_PORT: String(onBridge.port), LOOPBACK_PORT: String(onRootLoopback.port) },
      );
      // `ip netns exec` execs: the pid we spawned is the process itself, so signals reach it.
      expect(out.pid).toBe(child.pid);
      expect(out.ifaces).toEqual(['eth0', 'lo']);
      expect(out.addrs).toEqual([a.ip, '127.0.0.1'].sort());
      expect(out.bridge).toBe('hi');
      expect(onBridge.peers).toEqual([a.ip]);
      // Its 127.0.0.1 is its own: the root namespace's listener is not there.
      expect(out.rootLoopback).toBe('ECONNREFUSED');
      expect(onRootLoopback.peers).toEqual([]);
    } finally {
      onBridge.server.close();
      onRootLoopback.server.close();
    }
  });

  it('is reachable from the root namespace and from another host', async () => {
    const server = b.spawn(process.execPath, ['-e', `
      const s = require('node:net').createServer((c) => c.end('from b to ' + c.remoteAddress));
      s.listen(7000, process.env.IP, () => console.log('listening'));
    `], { env: { ...process.env, IP: b.ip }, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve) => server.stdout!.once('data', () => resolve()));
      const fromRoot = await new Promise<string>((resolve, reject) => {
        let got = '';
        net.connect({ host: b.ip, port: 7000 }).on('data', (c) => (got += c)).on('end', () => resolve(got)).on('error', reject);
      });
      expect(fromRoot).toBe(`from b to ${bridge.ip}`);
      const { out } = await runInside(a, CONNECT, { HOST: b.ip, PORT: '7000' });
      expect(out.got).toBe(`from b to ${a.ip}`);
    } finally {
      server.kill('SIGKILL');
    }
  });

  it('runs a Redis inside a host that the root namespace and other hosts can use', async () => {
    const redis = await RedisServer.start({ host: b, port: 6390 });
    try {
      expect(redis.url).toBe(`redis://${b.ip}:6390`);
      const { out } = await runInside(a, `
        import net from 'node:net';
        const s = net.connect({ host: process.env.HOST, port: 6390 }, () => s.write('PING\\r\\n'));
        s.once('data', (c) => { console.log(JSON.stringify({ got: String(c) })); s.destroy(); });
        s.on('error', (e) => console.log(JSON.stringify({ error: e.code })));
      `, { HOST: b.ip });
      expect(out.got).toBe('+PONG\r\n');
    } finally {
      await redis.stop();
    }
  });

  it('removes the namespaces, veths and bridge on stop, killing what still runs inside', async () => {
    const other = await NetnsBridge.create();
    const host = await other.addHost();
    const sleeper = host.spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600_000)'], { stdio: 'ignore' });
    const gone = new Promise<NodeJS.Signals | null>((resolve) => sleeper.once('exit', (_code, signal) => resolve(signal)));
    await expect.poll(() => host.pids()).toContain(sleeper.pid);
    expect(other.subnet).not.toBe(bridge.subnet);

    await other.stop();
    expect(await gone).toBe('SIGKILL');
    expect(await namespaces()).not.toContain(host.name);
    const links = await linkNames();
    expect(links).not.toContain(host.veth);
    expect(links).not.toContain(other.name);
    await other.stop(); // idempotent
    // The first bridge is untouched.
    expect(await linkNames()).toEqual(expect.arrayContaining([bridge.name, a.veth, b.veth]));
  });

  it('removes what a dead run left behind, and leaves a live run alone', async () => {
    // A pid that is certainly gone: a process that ran and was reaped.
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => dead.once('exit', resolve));
    const deadPid = dead.pid!;
    // What that run would have made: a bridge claiming its pid, a namespace, a veth, and a
    // process still running inside.
    const taken = new Set(await linkNames());
    const k = [...Array(254).keys()].map((i) => 254 - i).find((n) => !taken.has(`vilobr${n}`))!;
    const ns = `vilo-${deadPid}-${k}-0`;
    await ip('link', 'add', `vilobr${k}`, 'type', 'bridge');
    await ip('link', 'set', `vilobr${k}`, 'alias', `vilo-${deadPid}`);
    await ip('netns', 'add', ns);
    await ip('link', 'add', `vilo${k}h0`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    await ip('link', 'set', `vilo${k}h0`, 'master', `vilobr${k}`);
    const orphan = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', 'setTimeout(() => {}, 600_000)'], { stdio: 'ignore' });
    const gone = new Promise<NodeJS.Signals | null>((resolve) => orphan.once('exit', (_code, signal) => resolve(signal)));
    await expect.poll(async () => (await ip('netns', 'pids', ns)).trim()).toBe(String(orphan.pid));

    await NetnsBridge.removeLeftovers();
    expect(await gone).toBe('SIGKILL');
    expect(await namespaces()).not.toContain(ns);
    const links = await linkNames();
    expect(links).not.toContain(`vilobr${k}`);
    expect(links).not.toContain(`vilo${k}h0`);
    // This run's own network is alive, so it stays.
    expect(links).toEqual(expect.arrayContaining([bridge.name, a.veth, b.veth]));
    expect(await namespaces()).toEqual(expect.arrayContaining([a.name, b.name]));
  });
});
