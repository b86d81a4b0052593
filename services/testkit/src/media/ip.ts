// iproute2's `ip`, for the network-namespace test harness (NetnsBridge, NetnsHost). Errors
// name the command that failed and iproute2's own reason, so a broken host setup is obvious.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function ip(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('ip', args, { timeout: 10_000 });
    return stdout;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    const why = e.code === 'ENOENT' ? 'the ip command (iproute2) is not installed' : e.stderr?.trim() || e.message;
    throw new Error(`ip ${args.join(' ')}: ${why}`);
  }
}

/** For teardown of what may already be gone: a missing namespace or link is not an error. */
export async function ipQuiet(...args: string[]): Promise<void> {
  await ip(...args).catch(() => undefined);
}

/** Synchronous and silent, for a process 'exit' hook, where nothing asynchronous runs. */
export function ipSyncQuiet(...args: string[]): string {
  try {
    return execFileSync('ip', args, { timeout: 5_000, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  } catch {
    return '';
  }
}

/** Pids (one a line) as `ip netns pids` prints them. */
export function parsePids(out: string): number[] {
  return out.split('\n').map((l) => Number(l.trim())).filter((n) => Number.isInteger(n) && n > 0);
}

/** Whether a process that made a namespace or bridge is still alive, so its leftovers are not touched. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else; alive all the same.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
