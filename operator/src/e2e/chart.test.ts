// helm lint and helm template (helm v4 from the npm package) on the values that matter: schema
// refusals, PodDisruptionBudget API gating, probes everywhere, config checksums, exact RBAC,
// scrape annotations, the sfu-node PodTemplate, and the dev databases.
import { describe, expect, it } from 'vitest';
import { CHART_DIR, find, helm, renderChart, type Manifest, type Rendered } from '@vilokanam/testkit/kube';

const base = {
  redis: { external: { url: 'redis://redis:6379/0' } },
  postgres: { external: { url: 'postgres://u:p@pg:5432/vilo' } },
  secrets: { sfuControlSecret: 's'.repeat(40), tokenSecret: 't'.repeat(40) },
};
const render = (values: Record<string, unknown> = {}, kubeVersion?: string) =>
  renderChart({ release: 'vilo', namespace: 'live', values: { ...base, ...values }, ...(kubeVersion ? { kubeVersion } : {}) });

type Pod = { containers: { name: string; livenessProbe?: unknown; readinessProbe?: unknown; env?: unknown[]; volumeMounts?: unknown[] }[]; volumes?: unknown[] };
function podSpecs(r: Rendered): [string, Pod, Record<string, string>][] {
  const out: [string, Pod, Record<string, string>][] = [];
  for (const d of r.docs as any[]) {
    if (['Deployment', 'StatefulSet'].includes(d.kind)) out.push([`${d.kind}/${d.metadata.name}`, d.spec.template.spec, d.spec.template.metadata.annotations ?? {}]);
    if (d.kind === 'PodTemplate') out.push([`PodTemplate/${d.metadata.name}`, d.template.spec, d.template.metadata.annotations ?? {}]);
  }
  return out;
}

function containerEnv(r: Rendered, deployment: string): Record<string, unknown> {
  const c = (find(r, 'Deployment', `vilo-vilokanam-${deployment}`) as any).spec.template.spec.containers[0];
  return Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
}

describe('helm lint', () => {
  it('passes with production-style and development values', async () => {
    for (const set of [['--set', 'redis.external.url=redis://r:6379', '--set', 'postgres.external.url=postgres://p'], ['--set', 'redis.inChart.enabled=true', '--set', 'postgres.inChart.enabled=true']]) {
      const res = await helm(['lint', '--strict', CHART_DIR, ...set]);
      expect(res.stdout + res.stderr).not.toContain('[ERROR]');
      expect(res.code).toBe(0);
    }
  });

  it('refuses values the schema rules out, naming them', async () => {
    const cases: [string[], RegExp][] = [
      [['--set', 'operator.replicas=0'], /operator\/replicas|operator\.replicas/],
      [['--set-string', 'sfu.rtcPorts.min=forty'], /rtcPorts/],
      [['--set', 'secrets.sfuControlSecret=short'], /sfuControlSecret/],
      [['--set', 'redis.external.url=localhost:6379'], /redis/],
      [['--set', 'sfu.fleet.targetUtilization=1.5'], /targetUtilization/],
      [['--set', 'operator.unknownKey=1'], /unknownKey/],
      [['--set', 'secrets.sessionSecret=short'], /sessionSecret/],
      // A social budget may never block a drain.
      [['--set', 'social.podDisruptionBudget.maxUnavailable=0'], /maxUnavailable/],
      [['--set', 'social.unknownKey=1'], /unknownKey/],
    ];
    for (const [args, message] of cases) {
      const res = await helm(['template', 'vilo', CHART_DIR, '--set', 'redis.inChart.enabled=true', '--set', 'postgres.inChart.enabled=true', ...args]);
      expect(res.code, args.join(' ')).not.toBe(0);
      expect(res.stderr).toMatch(message);
    }
  });

  it('fails clearly without Redis or Postgres', async () => {
    const noRedis = await helm(['template', 'vilo', CHART_DIR, '--set', 'postgres.inChart.enabled=true']);
    expect(noRedis.stderr).toContain('redis.external.url (or redis.external.existingSecret) is required unless redis.inChart.enabled');
    const noPg = await helm(['template', 'vilo', CHART_DIR, '--set', 'redis.inChart.enabled=true']);
    expect(noPg.stderr).toContain('signaling needs Postgres');
  });
});

describe('helm template', () => {
  it('picks policy/v1beta1 for a 1.20 cluster and policy/v1 for a current one', async () => {
    const twoSignaling = { signaling: { replicas: 2 } };
    const old = await render(twoSignaling, '1.20.2');
    const current = await render(twoSignaling, '1.35.0');
    const pdbs = (r: Rendered) => r.docs.filter((d) => d.kind === 'PodDisruptionBudget').map((d) => `${d.apiVersion} ${d.metadata.name}`);
    const all = ['operator', 'signaling', 'social', 'settlement'];
    expect(pdbs(old)).toEqual(all.map((n) => `policy/v1beta1 vilo-vilokanam-${n}`));
    expect(pdbs(current)).toEqual(all.map((n) => `policy/v1 vilo-vilokanam-${n}`));
    // One replica gets no budget: it could only block or allow everything.
    // Settlement's (maxUnavailable 1) is there at any size.
    expect(pdbs(await render({ signaling: { replicas: 1 } }))).toEqual(['policy/v1 vilo-vilokanam-operator', 'policy/v1 vilo-vilokanam-social', 'policy/v1 vilo-vilokanam-settlement']);
    const single = await render({ ...twoSignaling, operator: { replicas: 1 }, social: { replicas: 1 }, settlement: { enabled: false }, sfu: { fleet: { minNodes: 3 }, podDisruptionBudget: { enabled: true, minAvailable: 2 } } });
    expect(pdbs(single)).toEqual(['policy/v1 vilo-vilokanam-signaling', 'policy/v1 vilo-vilokanam-sfu-node']);
    expect((find(single, 'PodDisruptionBudget', 'vilo-vilokanam-sfu-node') as any).spec).toMatchObject({ minAvailable: 2 });
  });

  it('gives every container liveness and readiness probes', async () => {
    const r = await render({ redis: { inChart: { enabled: true } }, postgres: { inChart: { enabled: true } } });
    const specs = podSpecs(r);
    expect(specs.map(([n]) => n).sort()).toEqual([
      'Deployment/vilo-vilokanam-operator',
      'Deployment/vilo-vilokanam-settlement',
      'Deployment/vilo-vilokanam-signaling',
      'Deployment/vilo-vilokanam-social',
      'PodTemplate/vilo-vilokanam-sfu-node',
      'StatefulSet/vilo-vilokanam-postgres',
      'StatefulSet/vilo-vilokanam-redis',
    ]);
    for (const [name, spec] of specs) {
      for (const c of spec.containers) {
        expect(c.livenessProbe, `${name} ${c.name}`).toBeDefined();
        expect(c.readinessProbe, `${name} ${c.name}`).toBeDefined();
      }
    }
    expect(containerEnv(r, 'operator').VILO_REDIS_URL).toEqual({ secretKeyRef: { name: 'vilo-vilokanam-redis', key: 'url-operator' } });
    const pgSecret = find(r, 'Secret', 'vilo-vilokanam-postgres') as any;
    expect(Buffer.from(pgSecret.data.url, 'base64').toString()).toMatch(/^postgres:\/\/vilokanam:[A-Za-z0-9]{48}@vilo-vilokanam-postgres:5432\/vilokanam$/);
  });

  it('mounts one recordings volume where recorders write and signaling serves, and keeps it on uninstall', async () => {
    expect((await render()).docs.filter((d) => d.kind === 'PersistentVolumeClaim')).toEqual([]);
    const r = await render({ recordings: { persistence: { enabled: true, size: '20Gi' }, clipsPerHour: 12 } });
    const pvc = find(r, 'PersistentVolumeClaim', 'vilo-vilokanam-recordings') as any;
    expect(pvc.metadata.annotations['helm.sh/resource-policy']).toBe('keep');
    expect(pvc.spec).toMatchObject({ accessModes: ['ReadWriteMany'], resources: { requests: { storage: '20Gi' } } });
    const specs = new Map(podSpecs(r).map(([n, s]) => [n, s] as const));
    for (const name of ['Deployment/vilo-vilokanam-signaling', 'PodTemplate/vilo-vilokanam-sfu-node']) {
      const spec = specs.get(name)!;
      expect(spec.volumes, name).toContainEqual({ name: 'recordings', persistentVolumeClaim: { claimName: 'vilo-vilokanam-recordings' } });
      expect(spec.containers[0]!.volumeMounts, name).toContainEqual({ name: 'recordings', mountPath: '/recordings' });
    }
    expect(specs.get('PodTemplate/vilo-vilokanam-sfu-node')!.containers[0]!.env).toContainEqual({ name: 'VILO_RECORDINGS_DIR', value: '/recordings' });
    expect((find(r, 'ConfigMap', 'vilo-vilokanam-signaling') as any).data).toMatchObject({ VILO_RECORDINGS_DIR: '/recordings', VILO_CLIPS_PER_HOUR: '12' });
    const claimed = await render({ recordings: { persistence: { enabled: true, existingClaim: 'videos' } } });
    expect(claimed.docs.filter((d) => d.kind === 'PersistentVolumeClaim')).toEqual([]);
    expect(new Map(podSpecs(claimed).map(([n, s]) => [n, s] as const)).get('Deployment/vilo-vilokanam-signaling')!.volumes).toContainEqual({ name: 'recordings', persistentVolumeClaim: { claimName: 'videos' } });
  });

  it('rolls pods through a config checksum that moves only when the config does', async () => {
    const sum = (r: Rendered) => (find(r, 'Deployment', 'vilo-vilokanam-operator') as any).spec.template.metadata.annotations['checksum/config'];
    const a = await render();
    const b = await render();
    const c = await render({ sfu: { fleet: { maxNodes: 20 } } });
    expect(sum(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(sum(b)).toBe(sum(a));
    expect(sum(c)).not.toBe(sum(a));
    expect((find(c, 'ConfigMap', 'vilo-vilokanam-operator') as any).data.VILO_FLEET_MAX_NODES).toBe('20');
  });

  it('grants the operator exactly the verbs it uses, in its namespace only', async () => {
    const r = await render();
    const role = find(r, 'Role', 'vilo-vilokanam-operator') as any;
    expect(role.rules).toEqual([
      { apiGroups: ['streaming.vilokanam.io'], resources: ['livestreams'], verbs: ['list', 'watch', 'patch'] },
      { apiGroups: ['streaming.vilokanam.io'], resources: ['livestreams/status'], verbs: ['update'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch', 'create', 'patch', 'delete'] },
      { apiGroups: [''], resources: ['podtemplates'], resourceNames: ['vilo-vilokanam-sfu-node'], verbs: ['get'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['vilo-vilokanam-operator'], verbs: ['get', 'update'] },
    ]);
    expect(r.docs.some((d) => d.kind === 'ClusterRole' || d.kind === 'ClusterRoleBinding')).toBe(false);
    const signaling = find(r, 'Role', 'vilo-vilokanam-signaling') as any;
    expect(signaling.rules).toEqual([{ apiGroups: ['streaming.vilokanam.io'], resources: ['livestreams'], verbs: ['create', 'get', 'patch', 'delete'] }]);
  });

  it('puts Prometheus scrape annotations on every pod unless turned off, and on sfu-nodes only when their /metrics is open', async () => {
    const on = podSpecs(await render());
    for (const [name, , annotations] of on) {
      // sfu-node's /metrics asks for a bearer token by default, which annotation scraping cannot send.
      if (name === 'PodTemplate/vilo-vilokanam-sfu-node') {
        expect(annotations['prometheus.io/scrape'], name).toBeUndefined();
        continue;
      }
      expect(annotations['prometheus.io/scrape'], name).toBe('true');
      expect(annotations['prometheus.io/port'], name).toMatch(/^\d+$/);
    }
    const sfuOpen = podSpecs(await render({ sfu: { metricsToken: false } })).find(([n]) => n === 'PodTemplate/vilo-vilokanam-sfu-node')!;
    expect(sfuOpen[2]['prometheus.io/port']).toBe('7070');
    const off = podSpecs(await render({ metrics: { prometheusAnnotations: false } }));
    for (const [name, , annotations] of off) expect(annotations['prometheus.io/scrape'], name).toBeUndefined();
  });

  it('renders the sfu-node PodTemplate the operator builds its fleet from', async () => {
    const r = await render({ sfu: { rtcPorts: { min: 50000, max: 50499 }, announcedAddress: '127.0.0.1' }, image: { registry: 'registry.example/v', tag: '9.9.9' } });
    const t = (find(r, 'PodTemplate', 'vilo-vilokanam-sfu-node') as any).template;
    expect(t.spec.hostNetwork).toBe(true);
    expect(t.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe('kubernetes.io/hostname');
    const c = t.spec.containers[0];
    expect(c.image).toBe('registry.example/v/vilokanam/sfu-node:9.9.9');
    expect(c.resources.requests).toEqual({ cpu: '1', memory: '512Mi' });
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({
      VILO_SFU_RTC_MIN_PORT: '50000',
      VILO_SFU_RTC_MAX_PORT: '50499',
      VILO_SFU_ANNOUNCED_ADDRESS: '127.0.0.1',
      VILO_SFU_NODE_ID: { fieldRef: { fieldPath: 'metadata.name' } },
      VILO_SFU_CONTROL_SECRET: { secretKeyRef: { name: 'vilo-vilokanam-secrets', key: 'sfu-control-secret' } },
      VILO_METRICS_TOKEN: { secretKeyRef: { name: 'vilo-vilokanam-secrets', key: 'sfu-metrics-token', optional: true } },
    });
    const token = Buffer.from((find(r, 'Secret', 'vilo-vilokanam-secrets') as any).data['sfu-metrics-token'], 'base64').toString();
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(t.spec.terminationGracePeriodSeconds).toBe(315);
    // One fleet name for the nodes' reports, the operator and signaling, unique per release.
    expect(env.VILO_FLEET).toBe('vilo-vilokanam');
    expect((find(r, 'ConfigMap', 'vilo-vilokanam-operator') as any).data.VILO_FLEET).toBe('vilo-vilokanam');
    expect((find(r, 'ConfigMap', 'vilo-vilokanam-signaling') as any).data.VILO_FLEET).toBe('vilo-vilokanam');
    const byDefault = (find(await render(), 'PodTemplate', 'vilo-vilokanam-sfu-node') as any).template.spec.containers[0].env;
    expect(byDefault.find((e: any) => e.name === 'VILO_SFU_ANNOUNCED_ADDRESS').valueFrom).toEqual({ fieldRef: { fieldPath: 'status.hostIP' } });
  });

  it('runs the Node services under `node --watch` for Tilt and plain node otherwise', async () => {
    const cmd = (r: Rendered, name = 'signaling') => (find(r, 'Deployment', `vilo-vilokanam-${name}`) as any).spec.template.spec.containers[0].command;
    expect(cmd(await render())).toEqual(['node', 'services/signaling/src/main.ts']);
    expect(cmd(await render(), 'social')).toEqual(['node', 'services/social/src/main.ts']);
    expect(cmd(await render({ dev: { watch: true } }))).toEqual(['node', '--watch', '--watch-preserve-output', 'services/signaling/src/main.ts']);
  });

  it('prints NOTES that say how to check the install', async () => {
    const res = await helm(['install', 'vilo', CHART_DIR, '--namespace', 'live', '--dry-run=client', '--set', 'redis.inChart.enabled=true', '--set', 'postgres.inChart.enabled=true']);
    expect(res.code).toBe(0);
    const notes = res.stdout.slice(res.stdout.indexOf('NOTES:'));
    expect(notes).toContain('kubectl -n live get livestreams');
    expect(notes).toContain('Open UDP and TCP ports 40000-40999');
    expect(notes).toContain('for development only');
    expect(notes).toContain('Secrets were generated');
  });

  it('uses an existing Secret instead of rendering one', async () => {
    const r = await render({ secrets: { existingSecret: 'mine', sfuControlSecret: '', tokenSecret: '' } });
    expect(r.docs.some((d: Manifest) => d.kind === 'Secret' && d.metadata.name === 'vilo-vilokanam-secrets')).toBe(false);
    const env = (find(r, 'Deployment', 'vilo-vilokanam-operator') as any).spec.template.spec.containers[0].env;
    expect(env.find((e: any) => e.name === 'VILO_SFU_CONTROL_SECRET').valueFrom.secretKeyRef.name).toBe('mine');
    for (const name of ['signaling', 'social']) {
      expect(containerEnv(r, name).VILO_SESSION_SECRET, name).toEqual({ secretKeyRef: { name: 'mine', key: 'session-secret' } });
    }
  });
});

describe('the social service', () => {
  it('runs two replicas behind a Service, with a budget that never blocks a drain', async () => {
    const r = await render({ social: { resources: { requests: { cpu: '75m' } } } });
    const d = find(r, 'Deployment', 'vilo-vilokanam-social') as any;
    const selector = { 'app.kubernetes.io/name': 'vilokanam', 'app.kubernetes.io/instance': 'vilo', 'app.kubernetes.io/component': 'social' };
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.selector.matchLabels).toEqual(selector);
    const pod = d.spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(false);
    const c = pod.containers[0];
    expect(c.image).toBe('vilokanam/social:0.1.0');
    expect(c.ports).toEqual([
      { name: 'http', containerPort: 8090, protocol: 'TCP' },
      { name: 'ops', containerPort: 9091, protocol: 'TCP' },
    ]);
    expect(c.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'ops' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'ops' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'ops' });
    expect(c.resources).toEqual({ requests: { cpu: '75m', memory: '128Mi' }, limits: { memory: '512Mi' } });
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: 10001 });
    expect(d.spec.template.metadata.annotations['prometheus.io/port']).toBe('9091');
    expect((find(r, 'ConfigMap', 'vilo-vilokanam-social') as any).data).toMatchObject({ VILO_HOST: '0.0.0.0', VILO_PORT: '8090', VILO_OPS_PORT: '9091' });
    expect(containerEnv(r, 'social').VILO_REDIS_URL).toEqual({ secretKeyRef: { name: 'vilo-vilokanam-redis', key: 'url' } });
    const svc = find(r, 'Service', 'vilo-vilokanam-social') as any;
    expect(svc.spec).toMatchObject({ type: 'ClusterIP', selector, ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'ops', port: 9091, targetPort: 'ops' }] });
    const pdb = find(r, 'PodDisruptionBudget', 'vilo-vilokanam-social') as any;
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: selector } });
  });

  it('reads the database and the session secret exactly as signaling does', async () => {
    const generated = await render({ secrets: { ...base.secrets, sessionSecret: '' } });
    const secret = find(generated, 'Secret', 'vilo-vilokanam-secrets') as any;
    expect(Buffer.from(secret.data['session-secret'], 'base64').toString()).toMatch(/^[A-Za-z0-9]{48}$/);
    const given = find(await render({ secrets: { ...base.secrets, sessionSecret: 'x'.repeat(40) } }), 'Secret', 'vilo-vilokanam-secrets') as any;
    expect(Buffer.from(given.data['session-secret'], 'base64').toString()).toBe('x'.repeat(40));
    const own = await render({ postgres: { external: { url: '', existingSecret: 'db', secretKey: 'dsn' } } });
    for (const name of ['signaling', 'social']) {
      const env = containerEnv(generated, name);
      expect(env.VILO_SESSION_SECRET, name).toEqual({ secretKeyRef: { name: 'vilo-vilokanam-secrets', key: 'session-secret' } });
      expect(env.VILO_DATABASE_URL, name).toEqual({ secretKeyRef: { name: 'vilo-vilokanam-postgres', key: 'url' } });
      expect(containerEnv(own, name).VILO_DATABASE_URL, name).toEqual({ secretKeyRef: { name: 'db', key: 'dsn' } });
    }
  });

  it('routes chat sockets to social ahead of everything else, and leaves them to signaling when off', async () => {
    const ingress = { signaling: { ingress: { enabled: true, host: 'live.example', tls: [{ secretName: 'live-tls', hosts: ['live.example'] }] } } };
    const paths = (r: Rendered) => (find(r, 'Ingress', 'vilo-vilokanam-signaling') as any).spec.rules[0].http.paths.map((p: any) => `${p.pathType} ${p.path} ${p.backend.service.name}:${p.backend.service.port.name}`);
    const on = await render(ingress);
    expect(paths(on)).toEqual(['Prefix /api/v1/chat vilo-vilokanam-social:http', 'Prefix / vilo-vilokanam-signaling:http']);
    // Webhook bodies link to the site: both services take its address from the ingress.
    expect((find(on, 'ConfigMap', 'vilo-vilokanam-social') as any).data.VILO_PUBLIC_URL).toBe('https://live.example');
    expect((find(on, 'ConfigMap', 'vilo-vilokanam-signaling') as any).data.VILO_PUBLIC_URL).toBe('https://live.example');
    const off = await render({ ...ingress, social: { enabled: false } });
    expect(paths(off)).toEqual(['Prefix / vilo-vilokanam-signaling:http']);
    expect(off.docs.filter((d) => d.metadata.name === 'vilo-vilokanam-social')).toEqual([]);
    // Signaling still serves chat itself, so it keeps the session secret either way.
    expect(containerEnv(off, 'signaling').VILO_SESSION_SECRET).toBeDefined();
  });
});
