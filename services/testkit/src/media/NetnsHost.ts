// One test "host": a Linux network namespace with its own network stack, joined to a
// NetnsBridge in the root namespace by a veth pair. Inside, the host has only `lo` and `eth0`
// (10.203.<subnet>.<10 + index>/24) with a default route via the bridge, so what runs there
// (an sfu-node, Redis) is reached over a real link, as a separate machine would be, and cannot
// reach the root namespace's 127.0.0.1. Made by NetnsBridge.addHost.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { ip, ipQuiet, ipSyncQuiet, parsePids } from './ip.ts';

export interface NetnsHostOptions {
  /** The root-namespace bridge the host's veth is enslaved to. */
  bridge: string;
  /** The bridge's /24: 10.203.<subnet>.0. */
  subnet: number;
  /** 0-based; the host's address is 10.203.<subnet>.<10 + index>. */
  index: number;
}

export class NetnsHost {
  /** Namespace name, `vilo-<pid>-<subnet>-<index>`: the pid lets a later run tell a crashed run's leftovers from a live run's. */
  readonly name: string;
  readonly ip: string;
  /** The veth end in the root namespace; its peer is `eth0` inside. */
  readonly veth: string;

  private constructor(name: string, address: string, veth: string) {
    this.name = name;
    this.ip = address;
    this.veth = veth;
  }

  static async create(o: NetnsHostOptions): Promise<NetnsHost> {
    if (!Number.isInteger(o.index) || o.index < 0 || o.index > 244) throw new Error(`host index ${o.index} is outside 0-244`);
    const host = new NetnsHost(`vilo-${process.pid}-${o.subnet}-${o.index}`, `10.203.${o.subnet}.${10 + o.index}`, `vilo${o.subnet}h${o.index}`);
    await ip('netns', 'add', host.name);
    try {
      // The peer is created straight inside the namespace, so no other run ever sees it in the root.
      await ip('link', 'add', host.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.name);
      await ip('link', 'set', host.veth, 'master', o.bridge, 'up');
      await ip('-n', host.name, 'addr', 'add', `${host.ip}/24`, 'dev', 'eth0');
      await ip('-n', host.name, 'link', 'set', 'eth0', 'up');
      // mediasoup workers and the control server may use loopback internally.
      await ip('-n', host.name, 'link', 'set', 'lo', 'up');
      await ip('-n', host.name, 'route', 'add', 'default', 'via', `10.203.${o.subnet}.1`);
    } catch (err) {
      await host.stop();
      throw err;
    }
    return host;
  }

  /** argv that runs `cmd` inside the namespace. `ip netns exec` execs (no fork), so the spawned pid is `cmd`'s own and signals reach it directly. */
  argv(cmd: string, args: string[] = []): [string, string[]] {
    return ['ip', ['netns', 'exec', this.name, cmd, ...args]];
  }

  spawn(cmd: string, args: string[] = [], options: SpawnOptions = {}): ChildProcess {
    const [file, argv] = this.argv(cmd, args);
    return spawn(file, argv, options);
  }

  async pids(): Promise<number[]> {
    return parsePids(await ip('netns', 'pids', this.name).catch(() => ''));
  }

  /** Kills whatever still runs inside (it was all started here), then removes the namespace and the veth pair. Safe to repeat. */
  async stop(): Promise<void> {
    await NetnsHost.remove(this.name, this.veth);
  }

  /** Removes namespace `name` and root-side link `veth` (if given), killing what runs inside first: a namespace with live processes outlives `ip netns del`, and so would its veth. */
  static async remove(name: string, veth?: string): Promise<void> {
    for (const pid of parsePids(await ip('netns', 'pids', name).catch(() => ''))) killQuiet(pid);
    await ipQuiet('netns', 'del', name);
    // Deleting one end of a veth pair deletes both, at once rather than when the kernel gets
    // round to destroying the namespace.
    if (veth) await ipQuiet('link', 'del', veth);
  }

  /** `remove`, synchronously, for a process 'exit' hook. */
  static removeSync(name: string, veth?: string): void {
    for (const pid of parsePids(ipSyncQuiet('netns', 'pids', name))) killQuiet(pid);
    ipSyncQuiet('netns', 'del', name);
    if (veth) ipSyncQuiet('link', 'del', veth);
  }
}

function killQuiet(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
