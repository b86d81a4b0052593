// The fleet's own traffic in the chart (issue 13, point 4): settlement's credentials, Redis URLs
// only in Secrets, the in-chart Redis's users checked against a real redis-server, and the
// NetworkPolicies evaluated against the pods they must let in or keep out.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { billingKeyFromEnv } from '@vilokanam/contracts/ticks';
import { freePort } from '@vilokanam/testkit';
import { CHART_DIR, find, helm, renderChart, type Rendered } from '@vilokanam/testkit/kube';
import { envOf, podLabels, selects, workload, workloads, type Labels, type Selector } from './rendered.ts';

const base = {
  redis: { external: { url: 'redis://:pw@redis:6379/0' } },
  postgres: { external: { url: 'postgres://u:p@pg:5432/vilo' } },
  secrets: { sfuControlSecret: 's'.repeat(40), tokenSecret: 't'.repeat(40) },
};
const render = (values: Record<string, unknown> = {}) => renderChart({ release: 'vilo', namespace: 'live', values: { ...base, ...values } });
const dev = { redis: { inChart: { enabled: true } }, postgres: { inChart: { enabled: true } } };
const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
const secretData = (r: Rendered, name: string) => (find(r, 'Secret', name) as any).data as Record<string, string>;
const REDIS_CLIENTS = ['Deployment/vilo-vilokanam-operator', 'Deployment/vilo-vilokanam-signaling', 'Deployment/vilo-vilokanam-social', 'Deployment/vilo-vilokanam-settlement', 'PodTemplate/vilo-vilokanam-sfu-node'];

describe('settlement', () => {
  it('runs with its database, Redis URL and billing key from Secrets, and its signer from a mounted Secret', async () => {
    const r = await render({ settlement: { chain: { wsUrl: 'wss://rpc.example' }, signer: { existingSecret: 'escrow', secretKey: 'mnemonic' }, payout: { minPlanck: '1000' } } });
    const d = find(r, 'Deployment', 'vilo-vilokanam-settlement') as any;
    expect(d.spec.replicas).toBe(1);
    // A surge pod may settle beside the old one; the advisory lock keeps payouts to one signer.
    expect(d.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    const w = workload(r, 'Deployment/vilo-vilokanam-settlement');
    const c = w.spec.containers[0]!;
    expect(c.image).toBe('vilokanam/settlement:0.1.0');
    expect(c.command).toEqual(['node', 'services/settlement/src/main.ts']);
    expect(envOf(c)).toEqual({
      VILO_DATABASE_URL: { secretKeyRef: { name: 'vilo-vilokanam-postgres', key: 'url' } },
      VILO_REDIS_URL: { secretKeyRef: { name: 'vilo-vilokanam-redis', key: 'url' } },
      VILO_BILLING_SESSION_KEY: { secretKeyRef: { name: 'vilo-vilokanam-secrets', key: 'billing-session-key' } },
    });
    const config = (find(r, 'ConfigMap', 'vilo-vilokanam-settlement') as any).data;
    expect(config).toMatchObject({ VILO_SETTLEMENT_METRICS_HOST: '0.0.0.0', VILO_SETTLEMENT_METRICS_PORT: '9093', VILO_CHAIN_WS_URL: 'wss://rpc.example', VILO_PAYOUT_MIN_PLANCK: '1000' });
    const mount = (c.volumeMounts as { name: string; mountPath: string; readOnly?: boolean }[]).find((m) => m.name === 'signer')!;
    expect(mount.readOnly).toBe(true);
    expect(config.VILO_CHAIN_SIGNER_FILE).toBe(`${mount.mountPath}/signer`);
    expect(w.spec.volumes).toContainEqual({ name: 'signer', secret: { secretName: 'escrow', defaultMode: 0o440, items: [{ key: 'mnemonic', path: 'signer' }] } });
    expect(w.spec.automountServiceAccountToken).toBe(false);
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) expect((c as any)[probe].httpGet, probe).toEqual({ path: '/healthz', port: 'metrics' });
    expect(w.annotations['prometheus.io/port']).toBe('9093');
    expect((find(r, 'Service', 'vilo-vilokanam-settlement') as any).spec.ports).toEqual([{ name: 'metrics', port: 9093, targetPort: 'metrics', protocol: 'TCP' }]);
    expect((find(r, 'PodDisruptionBudget', 'vilo-vilokanam-settlement') as any).spec.maxUnavailable).toBe(1);
  });

  it('runs without a chain, and refuses a chain without a signer Secret', async () => {
    const r = await render();
    expect((find(r, 'ConfigMap', 'vilo-vilokanam-settlement') as any).data.VILO_CHAIN_WS_URL).toBeUndefined();
    expect(workload(r, 'Deployment/vilo-vilokanam-settlement').spec.volumes).toEqual([{ name: 'tmp', emptyDir: {} }]);
    const res = await helm(['template', 'vilo', CHART_DIR, '--set', 'redis.inChart.enabled=true', '--set', 'postgres.inChart.enabled=true', '--set', 'settlement.chain.wsUrl=wss://rpc.example']);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('settlement.chain.wsUrl needs settlement.signer.existingSecret');
    const off = await render({ settlement: { enabled: false } });
    expect(off.docs.filter((d) => d.metadata.name === 'vilo-vilokanam-settlement')).toEqual([]);
  });

  it('gives signaling and settlement one generated billing key that settlement accepts', async () => {
    const r = await render();
    const key = decode(secretData(r, 'vilo-vilokanam-secrets')['billing-session-key']!);
    expect(billingKeyFromEnv(key)!.length).toBeGreaterThanOrEqual(32);
    for (const id of ['Deployment/vilo-vilokanam-signaling', 'Deployment/vilo-vilokanam-settlement']) {
      expect(envOf(workload(r, id).spec.containers[0]!).VILO_BILLING_SESSION_KEY, id).toEqual({ secretKeyRef: { name: 'vilo-vilokanam-secrets', key: 'billing-session-key' } });
    }
    const given = await render({ secrets: { ...base.secrets, billingSessionKey: 'ab'.repeat(32) } });
    expect(decode(secretData(given, 'vilo-vilokanam-secrets')['billing-session-key']!)).toBe('ab'.repeat(32));
    const short = await helm(['template', 'vilo', CHART_DIR, '--set', 'redis.inChart.enabled=true', '--set', 'postgres.inChart.enabled=true', '--set', 'secrets.billingSessionKey=tooshort']);
    expect(short.stderr).toMatch(/billingSessionKey/);
  });
});

describe('Redis credentials', () => {
  const setups: [string, Record<string, unknown>, (c: string) => { name: string; key: string }][] = [
    ['in-chart, a user per component', dev, (c) => ({ name: 'vilo-vilokanam-redis', key: `url-${c}` })],
    ['in-chart, one password', { ...dev, redis: { inChart: { enabled: true, aclUsers: false } } }, () => ({ name: 'vilo-vilokanam-redis', key: 'url' })],
    ['external URL', {}, () => ({ name: 'vilo-vilokanam-redis', key: 'url' })],
    ['external Secret', { redis: { external: { existingSecret: 'my-redis', secretKey: 'dsn' } } }, () => ({ name: 'my-redis', key: 'dsn' })],
  ];

  it('reaches every component through secretKeyRef, never a ConfigMap or a literal env value', async () => {
    for (const [label, values, ref] of setups) {
      const r = await render(values);
      const yamlOf = (x: unknown) => JSON.stringify(x);
      for (const cm of r.docs.filter((d) => d.kind === 'ConfigMap')) expect(yamlOf((cm as any).data), `${label}: ConfigMap ${cm.metadata.name}`).not.toMatch(/rediss?:\/\//);
      for (const w of workloads(r)) {
        for (const c of w.spec.containers) {
          const literals = (c.env ?? []).filter((e) => e.value !== undefined).map((e) => e.value);
          expect(yamlOf([literals, c.args ?? [], c.command ?? []]), `${label}: ${w.id}`).not.toMatch(/rediss?:\/\/|pw@/);
        }
      }
      for (const id of REDIS_CLIENTS) {
        const component = id.replace(/^.*vilo-vilokanam-/, '');
        expect(envOf(workload(r, id).spec.containers[0]!).VILO_REDIS_URL, `${label}: ${id}`).toEqual({ secretKeyRef: ref(component) });
      }
      expect(r.docs.some((d) => d.kind === 'Secret' && d.metadata.name === 'vilo-vilokanam-redis'), label).toBe(label !== 'external Secret');
    }
    const external = secretData(await render(), 'vilo-vilokanam-redis');
    expect(decode(external.url!)).toBe('redis://:pw@redis:6379/0');
  });

  it('starts the in-chart Redis from its ACL file, with no password in its arguments', async () => {
    const r = await render(dev);
    const w = workload(r, 'StatefulSet/vilo-vilokanam-redis');
    const c = w.spec.containers[0]!;
    expect(c.args).toEqual(['--appendonly', 'yes', '--save', '', '--aclfile', '/etc/redis/users.acl']);
    expect(c.volumeMounts).toContainEqual({ name: 'acl', mountPath: '/etc/redis', readOnly: true });
    expect(w.spec.volumes).toContainEqual({ name: 'acl', secret: { secretName: 'vilo-vilokanam-redis', defaultMode: 0o440, items: [{ key: 'users.acl', path: 'users.acl' }] } });
    // The probes authenticate through REDISCLI_AUTH and fail on anything but PONG.
    expect(envOf(c).REDISCLI_AUTH).toEqual({ secretKeyRef: { name: 'vilo-vilokanam-redis', key: 'password' } });
    expect((c as any).readinessProbe.exec.command).toEqual(['sh', '-c', 'redis-cli ping | grep -q PONG']);
    // A given password makes every user's password reproducible without the cluster (Tilt renders offline).
    const given = { ...dev, redis: { inChart: { enabled: true, password: 'dev-only-redis-password' } } };
    const [a, b] = [secretData(await render(given), 'vilo-vilokanam-redis'), secretData(await render(given), 'vilo-vilokanam-redis')];
    expect(a).toEqual(b);
    expect(decode(a.password!)).toBe('dev-only-redis-password');
    expect(new Set(['operator', 'signaling', 'social', 'settlement', 'sfu-node'].map((x) => a[`password-${x}`])).size).toBe(5);
  });
});

describe('the in-chart Redis users, on a real redis-server', () => {
  let server: ReturnType<typeof spawn> | undefined;
  let dir = '';
  const clients: Redis[] = [];
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    server?.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses clients without the password and keeps every component from the dangerous commands', async () => {
    const data = secretData(await render(dev), 'vilo-vilokanam-redis');
    dir = await mkdtemp(join(tmpdir(), 'vilo-acl-'));
    await writeFile(join(dir, 'users.acl'), decode(data['users.acl']!));
    const port = await freePort();
    server = spawn(process.env.VILO_REDIS_SERVER ?? '/usr/bin/redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--aclfile', join(dir, 'users.acl')], { cwd: dir, stdio: 'ignore' });
    const local = (url: string) => url.replace(/@vilo-vilokanam-redis:6379/, `@127.0.0.1:${port}`);
    const connect = (url: string) => {
      const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      clients.push(c);
      return c;
    };
    await waitFor(async () => (await raw(port, ['PING']).catch(() => [])).length === 1);
    const signalingPassword = decode(data['password-signaling']!);
    // Raw RESP, so each refusal is Redis's own reply to that command.
    expect(await raw(port, ['PING', 'AUTH operator wrong', `AUTH operator ${signalingPassword}`, `AUTH ${signalingPassword}`, `AUTH signaling ${signalingPassword}`, 'PING'])).toEqual([
      expect.stringMatching(/^-NOAUTH/),
      expect.stringMatching(/^-WRONGPASS/),
      // A component's password works for its own user only, and not as the default user's.
      expect.stringMatching(/^-WRONGPASS/),
      expect.stringMatching(/^-WRONGPASS/),
      '+OK',
      '+PONG',
    ]);

    for (const component of ['operator', 'signaling', 'social', 'settlement', 'sfu-node']) {
      const c = connect(local(decode(data[`url-${component}`]!)));
      await c.connect();
      expect(await c.acl('WHOAMI'), component).toBe(component);
      // What the components do: keys, sets, scripts, pub/sub, scans, the client's INFO.
      await c.set(`vilo:acl:${component}`, '1');
      await c.sadd('vilo:acl:set', component);
      expect(await c.eval("return redis.call('GET', KEYS[1])", 1, `vilo:acl:${component}`)).toBe('1');
      expect(await c.publish('vilo:acl', component)).toBe(0);
      await c.scan('0', 'MATCH', 'vilo:acl:*');
      await c.info('server');
      for (const refused of [() => c.flushall(), () => c.keys('*'), () => c.config('GET', 'requirepass'), () => c.acl('LIST'), () => c.call('SWAPDB', '0', '1')]) {
        await expect(refused(), component).rejects.toThrow(/NOPERM/);
      }
    }
    const admin = connect(local(decode(data.url!)));
    await admin.connect();
    expect(await admin.acl('WHOAMI')).toBe('default');
    expect(await admin.scard('vilo:acl:set')).toBe(5);
  });
});

describe('NetworkPolicies', () => {
  type Rule = { ports?: { port: number }[]; from?: { podSelector?: Selector; namespaceSelector?: Selector; ipBlock?: { cidr: string } }[] };
  const policies = (r: Rendered) => r.docs.filter((d) => d.kind === 'NetworkPolicy') as any[];
  /** Whether a pod of this namespace with `from` labels may open `port` on a pod with `to` labels. */
  const admits = (r: Rendered, to: Labels, port: number, from: Labels): boolean => {
    const applying = policies(r).filter((p) => selects(p.spec.podSelector, to));
    if (applying.length === 0) return true;
    return applying.some((p) =>
      (p.spec.ingress as Rule[]).some(
        (rule) => (!rule.ports || rule.ports.some((x) => x.port === port)) && (!rule.from || rule.from.some((peer) => peer.podSelector !== undefined && !peer.namespaceSelector && selects(peer.podSelector, from))),
      ),
    );
  };

  it('let only the components that use them reach the in-chart Redis and Postgres', async () => {
    const r = await render({ ...dev, networkPolicy: { nodeCidrs: ['10.0.0.0/16'] } });
    const redis = podLabels('redis');
    for (const c of ['operator', 'signaling', 'social', 'settlement']) expect(admits(r, redis, 6379, podLabels(c)), c).toBe(true);
    for (const c of ['postgres', 'helm-test', 'intruder']) expect(admits(r, redis, 6379, podLabels(c)), c).toBe(false);
    expect(admits(r, redis, 6379, podLabels('signaling', 'other-release'))).toBe(false);
    expect(admits(r, redis, 6379, { app: 'anything' })).toBe(false);
    // sfu-node pods are on the host network: they arrive from their node's address.
    expect(find(r, 'NetworkPolicy', 'vilo-vilokanam-redis') as any).toMatchObject({ spec: { ingress: [{ from: expect.arrayContaining([{ ipBlock: { cidr: '10.0.0.0/16' } }]) }] } });
    const pg = podLabels('postgres');
    for (const c of ['signaling', 'social', 'settlement']) expect(admits(r, pg, 5432, podLabels(c)), c).toBe(true);
    for (const c of ['operator', 'redis', 'helm-test', 'intruder']) expect(admits(r, pg, 5432, podLabels(c)), c).toBe(false);
    // No policy can select the host-network fleet.
    const sfu = workload(r, 'PodTemplate/vilo-vilokanam-sfu-node');
    expect(sfu.spec.hostNetwork).toBe(true);
    expect(policies(r).filter((p) => selects(p.spec.podSelector, sfu.labels))).toEqual([]);
  });

  it('keep metrics and ops ports to networkPolicy.metricsFrom and the test Pods, and public ports open', async () => {
    const monitoring = [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }];
    const r = await render({ networkPolicy: { metricsFrom: monitoring } });
    const closed: [string, number][] = [['operator', 9090], ['settlement', 9093], ['signaling', 9091], ['social', 9091]];
    for (const [c, port] of closed) {
      expect(admits(r, podLabels(c), port, podLabels('helm-test')), `${c} from helm test`).toBe(true);
      expect(admits(r, podLabels(c), port, podLabels('signaling')), `${c}:${port} from a pod of the namespace`).toBe(false);
      const rule = (find(r, 'NetworkPolicy', `vilo-vilokanam-${c}`) as any).spec.ingress.find((x: Rule) => x.ports![0]!.port === port);
      expect(rule.from, c).toContainEqual(monitoring[0]);
    }
    expect(admits(r, podLabels('signaling'), 8080, { anyone: 'at all' })).toBe(true);
    expect(admits(r, podLabels('social'), 8090, { anyone: 'at all' })).toBe(true);
    // By default the namespace's pods may scrape.
    const byDefault = await render();
    expect(admits(byDefault, podLabels('operator'), 9090, { app: 'prometheus' })).toBe(true);
    expect(admits(byDefault, podLabels('operator'), 8080, { app: 'prometheus' })).toBe(false);
    const ingressOnly = await render({ networkPolicy: { publicFrom: [{ podSelector: { matchLabels: { app: 'ingress-nginx' } } }] } });
    expect(admits(ingressOnly, podLabels('signaling'), 8080, { app: 'ingress-nginx' })).toBe(true);
    expect(admits(ingressOnly, podLabels('signaling'), 8080, { app: 'other' })).toBe(false);
    expect(policies(await render({ ...dev, networkPolicy: { enabled: false } }))).toEqual([]);
  });

  it("serve signaling's and social's probes and metrics on an ops port the ingress never routes to", async () => {
    const r = await render({ signaling: { ingress: { enabled: true, host: 'live.example' } } });
    for (const c of ['signaling', 'social']) {
      const w = workload(r, `Deployment/vilo-vilokanam-${c}`);
      const ctr = w.spec.containers[0]!;
      expect(ctr.ports!.find((p) => p.name === 'ops')!.containerPort, c).toBe(9091);
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) expect((ctr as any)[probe].httpGet.port, `${c} ${probe}`).toBe('ops');
      expect(w.annotations['prometheus.io/port'], c).toBe('9091');
      expect((find(r, 'ConfigMap', `vilo-vilokanam-${c}`) as any).data.VILO_OPS_PORT, c).toBe('9091');
      expect((find(r, 'Service', `vilo-vilokanam-${c}`) as any).spec.ports.map((p: any) => `${p.name}:${p.port}`), c).toContain('ops:9091');
    }
    const backends = (find(r, 'Ingress', 'vilo-vilokanam-signaling') as any).spec.rules[0].http.paths.map((p: any) => p.backend.service.port.name);
    expect(new Set(backends)).toEqual(new Set(['http']));
    // A published Service would publish ops too, so it moves to a ClusterIP Service of its own.
    const nodePort = await render({ signaling: { service: { type: 'NodePort', nodePort: 30080 } } });
    expect((find(nodePort, 'Service', 'vilo-vilokanam-signaling') as any).spec.ports.map((p: any) => p.name)).toEqual(['http']);
    expect((find(nodePort, 'Service', 'vilo-vilokanam-signaling-ops') as any).spec).toMatchObject({ type: 'ClusterIP', ports: [{ name: 'ops', port: 9091 }] });
  });
});


/** Sends inline commands on one connection; the first line of each reply. */
function raw(port: number, commands: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let buffer = '';
    socket.setTimeout(2000, () => socket.destroy(new Error('no reply')));
    socket.once('connect', () => socket.write(commands.map((c) => `${c}\r\n`).join('')));
    socket.on('data', (chunk) => {
      buffer += chunk.toString();
      const lines = buffer.split('\r\n').filter((l) => l !== '');
      if (lines.length >= commands.length) {
        socket.destroy();
        resolve(lines.slice(0, commands.length));
      }
    });
    socket.once('error', reject);
  });
}

async function waitFor(ok: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error('redis-server did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
}
