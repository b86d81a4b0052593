// A real etcd + kube-apiserver (v1.20, built from Debian's source by scripts/kube/) for tests,
// and on request a real kube-controller-manager running the controllers named in `controllers`
// (e.g. deployment, replicaset, garbagecollector). There is never a scheduler or a kubelet: Pods
// stay Pending until a test plays kubelet (markPodRunning, TestKubelet, ContainerKubelet). Identities other than admin come from a
// static token file because no token controller exists to mint ServiceAccount tokens.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import pino, { type Logger } from 'pino';
import { kubeBinaries } from './binaries.ts';
import { Daemon } from './Daemon.ts';
import { createPki, type Pki } from './pki.ts';
import { freePorts } from '../ports.ts';
import { waitFor } from '../wait.ts';

export interface ServiceAccountRef {
  namespace: string;
  name: string;
}

export interface StaticUser {
  name: string;
  groups?: string[];
}

export interface ControlPlaneOptions {
  /** Each gets a static token authenticating exactly as the ServiceAccount's own token would. */
  serviceAccounts?: ServiceAccountRef[];
  /** Plain users (e.g. to test a human's RBAC), also by static token. */
  users?: StaticUser[];
  /**
   * Controllers kube-controller-manager runs (its --controllers), e.g. ['deployment',
   * 'replicaset', 'garbagecollector']; none, and no controller-manager, when absent. Never the
   * token or node controllers: identities come from the static token file, and there are no
   * Nodes. The Endpoints controllers are no use either: the apiserver rejects loopback addresses
   * in Endpoints, and every test pod lives on one.
   */
  controllers?: string[];
  /** Cold starts take 7–9 s; the default leaves room for a busy 2-core machine. */
  readyTimeoutMs?: number;
  logger?: Logger;
}

export type Identity = 'admin' | { serviceAccount: ServiceAccountRef } | { user: string } | { token: string };

export const serviceAccountUser = (ns: string, name: string) => `system:serviceaccount:${ns}:${name}`;

export class ControlPlane {
  /** https://127.0.0.1:<port> */
  readonly server: string;
  readonly caPem: string;
  /** Temp dir with certs, tokens, etcd data and the logs (etcd.log, kube-apiserver.log). */
  readonly dir: string;
  readonly etcdUrl: string;
  #pki: Pki;
  #tokens: Map<string, string>;
  #daemons: Daemon[];
  #log: Logger;
  #closed = false;

  private constructor(
    fields: { server: string; dir: string; etcdUrl: string; pki: Pki; tokens: Map<string, string> },
    daemons: Daemon[],
    log: Logger,
  ) {
    this.server = fields.server;
    this.dir = fields.dir;
    this.etcdUrl = fields.etcdUrl;
    this.caPem = fields.pki.caPem;
    this.#pki = fields.pki;
    this.#tokens = fields.tokens;
    this.#daemons = daemons;
    this.#log = log;
  }

  static async start(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
    const log = opts.logger ?? pino({ name: 'control-plane', level: process.env.VILO_LOG_LEVEL ?? 'info' });
    const t0 = Date.now();
    const dir = await mkdtemp(join(tmpdir(), 'vilo-kube-'));
    const daemons: Daemon[] = [];
    try {
      const [bins, pki, [etcdPort, etcdPeerPort, apiPort]] = await Promise.all([
        kubeBinaries(),
        createPki(dir),
        freePorts(3),
      ]);
      const tokens = tokenTable(opts);
      await writeFile(join(dir, 'tokens.csv'), tokenFile(tokens, opts), { mode: 0o600 });

      const etcdUrl = `http://127.0.0.1:${etcdPort}`;
      const etcd = new Daemon('etcd', bins.etcd, [
        '--name', 'vilo-test',
        '--data-dir', join(dir, 'etcd'),
        '--listen-client-urls', etcdUrl,
        '--advertise-client-urls', etcdUrl,
        '--listen-peer-urls', `http://127.0.0.1:${etcdPeerPort}`,
        '--initial-advertise-peer-urls', `http://127.0.0.1:${etcdPeerPort}`,
        '--initial-cluster', `vilo-test=http://127.0.0.1:${etcdPeerPort}`,
        // Test data is thrown away; fsync would only slow every write.
        '--unsafe-no-fsync',
      ], join(dir, 'etcd.log'));
      daemons.push(etcd);
      await daemonReady(etcd, 'did not become healthy', 20_000, () => etcdHealthy(etcdUrl));

      const server = `https://127.0.0.1:${apiPort}`;
      const apiserver = new Daemon('kube-apiserver', bins.kubeApiserver, [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--cert-dir=${join(dir, 'apiserver-certs')}`,
        `--tls-cert-file=${pki.serverCert}`,
        `--tls-private-key-file=${pki.serverKey}`,
        `--client-ca-file=${pki.caCert}`,
        `--token-auth-file=${join(dir, 'tokens.csv')}`,
        '--service-account-issuer=https://kubernetes.default.svc',
        `--service-account-key-file=${pki.serviceAccountPub}`,
        `--service-account-signing-key-file=${pki.serviceAccountKey}`,
        '--service-cluster-ip-range=10.0.0.0/24',
        '--authorization-mode=RBAC',
        // The ServiceAccount plugin rejects Pods until the (absent) token controller has made
        // the account's token secret.
        '--disable-admission-plugins=ServiceAccount',
        '--allow-privileged=true',
        '--profiling=false',
        // The reconciler would keep failing to publish 127.0.0.1 (loopback is invalid in
        // Endpoints); nothing in-cluster dials the kubernetes Service here anyway.
        '--endpoint-reconciler-type=none',
      ], join(dir, 'kube-apiserver.log'));
      daemons.push(apiserver);
      await daemonReady(apiserver, 'did not become ready', opts.readyTimeoutMs ?? 60_000, () => readyz(server, pki));
      const plane = new ControlPlane({ server, dir, etcdUrl, pki, tokens }, daemons, log);
      if (opts.controllers?.length) {
        const kubeconfig = await plane.writeKubeconfig(join(dir, 'controller-manager.kubeconfig'));
        daemons.push(await startControllerManager(dir, kubeconfig, bins.kubeControllerManager, opts.controllers));
      }

      log.info({ server, dir, ms: Date.now() - t0 }, 'control plane ready');
      return plane;
    } catch (err) {
      await Promise.all(daemons.map((d) => d.stop()));
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  adminKubeConfig(): KubeConfig {
    return this.kubeConfig('admin');
  }

  kubeConfigForToken(token: string): KubeConfig {
    return this.kubeConfig({ token });
  }

  kubeConfigForServiceAccount(namespace: string, name: string): KubeConfig {
    return this.kubeConfig({ serviceAccount: { namespace, name } });
  }

  kubeConfigForUser(name: string): KubeConfig {
    return this.kubeConfig({ user: name });
  }

  /** The static token registered for a ServiceAccount or user given to start(). */
  tokenFor(identity: { serviceAccount: ServiceAccountRef } | { user: string }): string {
    const user =
      'user' in identity ? identity.user : serviceAccountUser(identity.serviceAccount.namespace, identity.serviceAccount.name);
    const token = this.#tokens.get(user);
    if (!token) throw new Error(`no static token for ${user}; pass it to ControlPlane.start()`);
    return token;
  }

  kubeConfig(identity: Identity): KubeConfig {
    const kc = new KubeConfig();
    const user =
      identity === 'admin'
        ? {
            name: 'admin',
            certData: Buffer.from(this.#pki.adminCertPem).toString('base64'),
            keyData: Buffer.from(this.#pki.adminKeyPem).toString('base64'),
          }
        : { name: 'user', token: 'token' in identity ? identity.token : this.tokenFor(identity) };
    kc.loadFromOptions({
      clusters: [{ name: 'vilo-test', server: this.server, caData: Buffer.from(this.caPem).toString('base64') }],
      users: [user],
      contexts: [{ name: 'vilo-test', cluster: 'vilo-test', user: user.name }],
      currentContext: 'vilo-test',
    });
    return kc;
  }

  /** A self-contained kubeconfig file for kubectl/helm; returns the path. */
  async writeKubeconfig(path: string, identity: Identity = 'admin'): Promise<string> {
    await writeFile(path, this.kubeConfig(identity).exportConfig(), { mode: 0o600 });
    return path;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // apiserver first so it does not spend its grace period retrying a vanished etcd.
    for (const d of [...this.#daemons].reverse()) await d.stop();
    await rm(this.dir, { recursive: true, force: true });
    this.#log.debug({ dir: this.dir }, 'control plane closed');
  }
}

function tokenTable(opts: ControlPlaneOptions): Map<string, string> {
  // The token file is CSV with quoted groups; these characters would corrupt it silently.
  const names = [
    ...(opts.serviceAccounts ?? []).flatMap((s) => [s.namespace, s.name]),
    ...(opts.users ?? []).flatMap((u) => [u.name, ...(u.groups ?? [])]),
  ];
  const bad = names.find((n) => !n || /[",\r\n]/.test(n));
  if (bad !== undefined) throw new Error(`identity name ${JSON.stringify(bad)} cannot go in a token file`);
  const tokens = new Map<string, string>();
  for (const sa of opts.serviceAccounts ?? []) tokens.set(serviceAccountUser(sa.namespace, sa.name), newToken());
  for (const u of opts.users ?? []) tokens.set(u.name, newToken());
  return tokens;
}

// Format: token,user,uid,"group1,group2". Groups match what the ServiceAccount token
// authenticator would assign, so RBAC rules written for real ServiceAccounts apply as-is.
function tokenFile(tokens: Map<string, string>, opts: ControlPlaneOptions): string {
  const line = (user: string, groups: string[]) => `${tokens.get(user)},${user},${user},"${groups.join(',')}"`;
  const lines = [
    ...(opts.serviceAccounts ?? []).map(({ namespace, name }) =>
      line(serviceAccountUser(namespace, name), ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated']),
    ),
    ...(opts.users ?? []).map((u) => line(u.name, [...(u.groups ?? []), 'system:authenticated'])),
  ];
  // An empty file is fine for the apiserver; it just authenticates no tokens.
  return lines.join('\n') + '\n';
}

const newToken = () => randomBytes(24).toString('hex');

/** Waits for `probe`, failing at once with the daemon's own output if it exits meanwhile. */
async function daemonReady(d: Daemon, what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const state = await waitFor(what, async () => (d.exitInfo !== undefined ? 'exited' : (await probe()) && 'ready'), { timeoutMs, everyMs: 200 }).catch(() => 'late');
  if (state === 'exited') throw await d.failure(what);
  if (state === 'late') throw await d.failure(`${what} within ${timeoutMs} ms`);
}

async function startControllerManager(dir: string, kubeconfig: string, bin: string, controllers: string[]): Promise<Daemon> {
  const kcm = new Daemon('kube-controller-manager', bin, [
    `--kubeconfig=${kubeconfig}`,
    `--controllers=${controllers.join(',')}`,
    // One per control plane, and parallel test files each have their own.
    '--leader-elect=false',
    // No serving at all: nothing here scrapes it, and fixed ports would clash between files.
    '--port=0',
    '--secure-port=0',
    '--concurrent-deployment-syncs=2',
    '--concurrent-replicaset-syncs=2',
  ], join(dir, 'kube-controller-manager.log'));
  // It has no health endpoint without serving; a start-up failure shows as an early exit.
  await sleep(500);
  if (kcm.exitInfo !== undefined) throw await kcm.failure('kube-controller-manager did not start');
  return kcm;
}

async function etcdHealthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
    return res.ok && ((await res.json()) as { health?: string }).health === 'true';
  } catch {
    return false;
  }
}

function readyz(server: string, pki: Pki): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      `${server}/readyz`,
      { ca: pki.caPem, cert: pki.adminCertPem, key: pki.adminKeyPem, timeout: 2_000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}
