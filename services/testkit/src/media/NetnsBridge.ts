// A private test network: a Linux bridge `vilobr<k>` in the root namespace with address
// 10.203.<k>.1/24, and NetnsHosts (network namespaces) plugged into it by veth pairs. Hosts
// reach each other and the root namespace over the bridge; the root namespace (signaling,
// Chromium) reaches them at 10.203.<k>.<10 + i>. Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN).
//
// Concurrent runs on one machine each claim their own k: creating the bridge name is atomic.
// Each bridge carries its creator's pid (link alias `vilo-<pid>`), as each namespace does in
// its name, so a run removes the leftovers of runs that died without cleaning up, and never
// touches those of a run still alive.
import { ip, ipQuiet, ipSyncQuiet, alive } from './ip.ts';
import { NetnsHost } from './NetnsHost.ts';

const BRIDGE = /^vilobr(\d+)$/;
const OWNER = /^vilo-(\d+)$/;
const NAMESPACE = /^vilo-(\d+)-(\d+)-(\d+)$/;

interface Link {
  ifname: string;
  ifalias?: string;
  master?: string;
}

export class NetnsBridge {
  static readonly #live = new Set<NetnsBridge>();
  static #exitHook = false;

  readonly name: string;
  /** The third octet of this network's 10.203.<subnet>.0/24. */
  readonly subnet: number;
  /** The bridge's own address: the hosts' default gateway, and how they reach the root namespace. */
  readonly ip: string;
  readonly hosts: NetnsHost[] = [];
  #nextIndex = 0;

  private constructor(subnet: number) {
    this.subnet = subnet;
    this.name = `vilobr${subnet}`;
    this.ip = `10.203.${subnet}.1`;
  }

  static async create(): Promise<NetnsBridge> {
    await NetnsBridge.removeLeftovers();
    const taken = new Set((await links()).map((l) => l.ifname));
    for (let k = 1; k <= 254; k++) {
      if (taken.has(`vilobr${k}`) || (await subnetInUse(k))) continue;
      const bridge = new NetnsBridge(k);
      try {
        // forward_delay 0: ports forward at once (STP is off anyway), not after 15 s.
        await ip('link', 'add', bridge.name, 'type', 'bridge', 'forward_delay', '0');
      } catch (err) {
        if (/File exists/.test((err as Error).message)) continue; // another run claimed k just now
        throw err;
      }
      NetnsBridge.#track(bridge);
      try {
        await ip('link', 'set', bridge.name, 'alias', `vilo-${process.pid}`);
        await ip('addr', 'add', `${bridge.ip}/24`, 'dev', bridge.name);
        await ip('link', 'set', bridge.name, 'up');
      } catch (err) {
        await bridge.stop();
        throw err;
      }
      return bridge;
    }
    throw new Error('no free test network: vilobr1-254 or 10.203.1-254.0/24 are all in use');
  }

  /** A new namespace host on this bridge, at 10.203.<subnet>.<10 + i> for the i-th host. */
  async addHost(): Promise<NetnsHost> {
    const host = await NetnsHost.create({ bridge: this.name, subnet: this.subnet, index: this.#nextIndex++ });
    this.hosts.push(host);
    return host;
  }

  /** Removes every host (killing what still runs in them) and the bridge. Safe to repeat. */
  async stop(): Promise<void> {
    await Promise.all(this.hosts.splice(0).map((h) => h.stop()));
    await ipQuiet('link', 'del', this.name);
    NetnsBridge.#live.delete(this);
  }

  /**
   * Removes namespaces and bridges made by processes that are gone (a crashed or killed test
   * run): what still runs inside them is killed, which also frees their veth pairs.
   */
  static async removeLeftovers(): Promise<void> {
    for (const ns of await namespaces()) {
      const owner = NAMESPACE.exec(ns);
      if (owner && !alive(Number(owner[1]))) await NetnsHost.remove(ns);
    }
    const all = await links();
    for (const l of all) {
      const owner = BRIDGE.test(l.ifname) ? OWNER.exec(l.ifalias ?? '') : null;
      if (!owner || alive(Number(owner[1]))) continue;
      for (const port of all.filter((p) => p.master === l.ifname)) await ipQuiet('link', 'del', port.ifname);
      await ipQuiet('link', 'del', l.ifname);
    }
  }

  // Tests that end without stop() (a thrown beforeAll, a failed run) still clean up when the
  // process exits normally; a killed process leaves leftovers for the next run to remove.
  static #track(bridge: NetnsBridge): void {
    NetnsBridge.#live.add(bridge);
    if (NetnsBridge.#exitHook) return;
    NetnsBridge.#exitHook = true;
    process.once('exit', () => {
      for (const b of NetnsBridge.#live) {
        for (const h of b.hosts) NetnsHost.removeSync(h.name, h.veth);
        ipSyncQuiet('link', 'del', b.name);
      }
    });
  }
}

async function namespaces(): Promise<string[]> {
  // `ip netns list` prints `name` or `name (id: n)`, one a line.
  return (await ip('netns', 'list')).split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
}

async function links(): Promise<Link[]> {
  const out = await ip('-j', 'link', 'show');
  return out.trim() ? (JSON.parse(out) as Link[]) : [];
}

/** Someone else (another tool, a VPN) already routes 10.203.<k>.0/24. */
async function subnetInUse(k: number): Promise<boolean> {
  return (await ip('route', 'show', 'to', 'match', `10.203.${k}.0/24`)).split('\n').some((l) => l.startsWith(`10.203.${k}.`));
}
