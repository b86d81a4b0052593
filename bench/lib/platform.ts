// The platform as benchmarks run it: a child process in embedded mode (PGlite in memory) on a
// free loopback port, so its CPU and memory can be read apart from the benchmark's own.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { freePort } from '@vilokanam/testkit';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Starts the platform with `env` on top of the defaults; resolves once it serves. */
export async function startPlatformProcess(env: Record<string, string> = {}): Promise<{ process: ChildProcessByStdio<null, Readable, null>; baseURL: string; opsURL: string }> {
  const port = await freePort();
  const opsPort = await freePort();
  const child = spawn(process.execPath, ['services/signaling/src/main.ts'], {
    cwd: root,
    env: { ...process.env, VILO_PORT: String(port), VILO_OPS_PORT: String(opsPort), VILO_DATA_DIR: 'memory://', VILO_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('is running') && resolve());
    child.once('exit', (code) => reject(new Error(`platform exited with ${code}`)));
  });
  // /metrics is on the ops listener only.
  return { process: child, baseURL: `http://127.0.0.1:${port}`, opsURL: `http://127.0.0.1:${opsPort}` };
}
