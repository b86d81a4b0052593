// A throwaway redis-server for one test fleet, optionally inside a NetnsHost. sfu-nodes in
// network namespaces cannot reach the root namespace's 127.0.0.1:6379, so a namespaced fleet
// brings its own Redis, reachable from every host and from the root namespace (signaling).
// In memory only: no RDB snapshots, no AOF, nothing written to disk.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import type { NetnsHost } from './NetnsHost.ts';

export const REDIS_SERVER = process.env.VILO_REDIS_SERVER ?? '/usr/bin/redis-server';

export interface RedisServerOptions {
  /** Runs inside this namespace, bound to its address; otherwise in the root namespace on `bind`. */
  host?: NetnsHost;
  bind?: string;
  port?: number;
}

export class RedisServer {
  readonly url: string;
  readonly child: ChildProcess;
  readonly #exited: Promise<void>;

  private constructor(url: string, child: ChildProcess, exited: Promise<void>) {
    this.url = url;
    this.child = child;
    this.#exited = exited;
  }

  static async start(o: RedisServerOptions): Promise<RedisServer> {
    const bind = o.host?.ip ?? o.bind ?? '127.0.0.1';
    // Inside a namespace the address is the host's alone, so the usual port cannot clash.
    const port = o.port ?? 6379;
    // Protected mode would refuse every client not on loopback, which here is all of them; the
    // address is only on the test bridge, so nothing else can reach it anyway.
    const args = ['--bind', bind, '--port', String(port), '--protected-mode', 'no', '--save', '', '--appendonly', 'no', '--loglevel', 'warning', '--daemonize', 'no'];
    const opts = { cwd: os.tmpdir(), stdio: ['ignore', 'ignore', 'pipe'] as ('ignore' | 'pipe')[] };
    const child = o.host ? o.host.spawn(REDIS_SERVER, args, opts) : spawn(REDIS_SERVER, args, opts);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const spawnError = new Promise<never>((_, reject) => child.once('error', (err) => reject(new Error(`cannot run ${REDIS_SERVER}: ${err.message}`))));
    const server = new RedisServer(`redis://${bind}:${port}`, child, exited);
    try {
      await Promise.race([
        waitForPong(bind, port, 10_000),
        spawnError,
        exited.then(() => Promise.reject(new Error(`redis-server on ${bind}:${port} exited at start: ${stderr.trim() || `code ${child.exitCode}`}`))),
      ]);
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.#exited;
  }
}

/** Readiness is an answered PING, not a log line, whose wording changes between versions. */
async function waitForPong(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const reply = await ping(host, port);
      if (reply.startsWith('+PONG')) return;
      last = `answered ${JSON.stringify(reply.slice(0, 200))}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server on ${host}:${port} did not answer PING within ${timeoutMs} ms${last ? ` (${last})` : ''}`);
}

/** The first line Redis sends back to PING ('' if it hung up first). */
function ping(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let reply = '';
    socket.setTimeout(1000, () => socket.destroy(new Error('PING timed out')));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) {
        socket.destroy();
        resolve(reply);
      }
    });
    socket.once('error', reject);
    socket.once('close', () => resolve(reply));
  });
}
