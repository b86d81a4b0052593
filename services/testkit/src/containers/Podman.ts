// The real container runtime of this machine kind: Debian's podman with runc and host networking
// (scripts/images/podman.sh sets the same up for builds). Every container a test starts carries
// the label below, so a run that died can be cleaned up by the next (scripts/test.sh).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const TEST_LABEL = 'vilokanam.test=1';

export interface ContainerSpec {
  image: string;
  /** Unique per test run; the container is removed by this name. */
  name?: string;
  env?: Record<string, string>;
  /** Read-only bind mounts, host path to container path. */
  mounts?: Record<string, string>;
  /** Replaces the image's command. */
  command?: string[];
  /** Replaces the image's entry point ('' clears it). */
  entrypoint?: string;
  user?: string;
  /** Extra groups, as a pod's fsGroup gives its containers. */
  groups?: number[];
  /** A read-only root file system (readOnlyRootFilesystem). */
  readOnly?: boolean;
  /** Writable tmpfs mounts (a pod's emptyDir volumes). */
  tmpfs?: string[];
  /** /etc/hosts entries, name to address: what cluster DNS would answer. */
  addHosts?: Record<string, string>;
}

function podmanEnv(): NodeJS.ProcessEnv {
  const cache = process.env.VILO_CACHE ?? join(homedir(), '.cache', 'vilokanam');
  return { ...process.env, CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? join(cache, 'images', 'containers.conf') };
}

function runArgs(spec: ContainerSpec): string[] {
  const args = ['--runtime', 'runc', 'run', '--rm', '--network', 'host', '--label', TEST_LABEL];
  if (spec.name) args.push('--name', spec.name);
  if (spec.entrypoint !== undefined) args.push('--entrypoint', spec.entrypoint);
  for (const [k, v] of Object.entries(spec.env ?? {})) args.push('--env', `${k}=${v}`);
  for (const [host, inside] of Object.entries(spec.mounts ?? {})) args.push('--volume', `${host}:${inside}:ro`);
  if (spec.user) args.push('--user', spec.user);
  for (const g of spec.groups ?? []) args.push('--group-add', String(g));
  if (spec.readOnly) args.push('--read-only', '--read-only-tmpfs=false');
  for (const path of spec.tmpfs ?? []) args.push('--tmpfs', `${path}:rw,mode=1777`);
  for (const [name, ip] of Object.entries(spec.addHosts ?? {})) args.push('--add-host', `${name}:${ip}`);
  args.push(spec.image, ...(spec.command ?? []));
  return args;
}

export const Podman = {
  /**
   * Starts the container attached: its stdout and stderr are the child's, and SIGINT or SIGTERM
   * sent to the child reach the container's process (podman proxies signals).
   */
  spawn(spec: ContainerSpec): ChildProcess {
    return spawn('podman', runArgs(spec), { env: podmanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  },

  /** Runs a command in a fresh container of `image` and returns its stdout; throws on a non-zero exit. */
  async output(image: string, command: string[], opts: { entrypoint?: string } = {}): Promise<string> {
    const { stdout } = await run('podman', runArgs({ image, command, ...opts }), { env: podmanEnv(), maxBuffer: 16 << 20 });
    return stdout;
  },

  /** SIGKILL and remove: what a host dying does to a container. */
  async remove(name: string): Promise<void> {
    await run('podman', ['rm', '--force', '--time', '0', name], { env: podmanEnv() }).catch(() => undefined);
  },

  async inspectImage(image: string): Promise<{ User?: string; Cmd?: string[]; Env?: string[] }> {
    const { stdout } = await run('podman', ['image', 'inspect', '--format', '{{json .Config}}', image], { env: podmanEnv() });
    return JSON.parse(stdout) as { User?: string; Cmd?: string[]; Env?: string[] };
  },
};
