// What an SRE expects from the chart besides the workloads (issue 13, point 5): `helm test`
// hooks that really fail, ServiceMonitors only on request, a Grafana dashboard whose metrics
// exist in the code, budgets that never block a drain, and `kubectl explain` in the docs.
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CHART_DIR, find, helm, renderChart, type Rendered } from '@vilokanam/testkit/kube';
import { explain, schemaAt, type SchemaNode } from './explain.ts';
import { selects, workloads } from './rendered.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const base = {
  redis: { external: { url: 'redis://redis:6379/0' } },
  postgres: { external: { url: 'postgres://u:p@pg:5432/vilo' } },
};
const render = (values: Record<string, unknown> = {}) => renderChart({ release: 'vilo', namespace: 'live', values: { ...base, ...values } });
const ofKind = (r: Rendered, kind: string) => r.docs.filter((d) => d.kind === kind) as any[];

describe('helm test hooks', () => {
  it('check signaling, social, the operator and settlement through their Services', async () => {
    const r = await render();
    const pods = ofKind(r, 'Pod');
    expect(pods.map((p) => p.metadata.name).sort()).toEqual(['operator', 'settlement', 'signaling', 'social'].map((n) => `vilo-vilokanam-test-${n}`));
    const urls: string[] = [];
    for (const p of pods) {
      expect(p.metadata.annotations, p.metadata.name).toEqual({ 'helm.sh/hook': 'test', 'helm.sh/hook-delete-policy': 'before-hook-creation' });
      expect(p.spec.restartPolicy).toBe('Never');
      const [node, inputType, e, , ...args] = p.spec.containers[0].command as string[];
      expect([node, inputType, e]).toEqual(['node', '--input-type=module', '-e']);
      expect(p.spec.containers[0].image).toBe('vilokanam/signaling:0.1.0');
      urls.push(...args);
    }
    expect(urls.sort()).toEqual([
      'http://vilo-vilokanam-operator-metrics:9090/readyz',
      'http://vilo-vilokanam-settlement:9093/healthz',
      'http://vilo-vilokanam-signaling:80/api/v1/streams',
      'http://vilo-vilokanam-signaling:9091/readyz',
      'http://vilo-vilokanam-social:9091/readyz',
    ]);
    // Each URL names a Service port whose target is a named port of the pods it selects.
    for (const url of urls) {
      const u = new URL(url);
      const svc = find(r, 'Service', u.hostname) as any;
      const port = svc.spec.ports.find((p: any) => p.port === Number(u.port || 80));
      expect(port, url).toBeDefined();
      const pods = workloads(r).filter((w) => selects({ matchLabels: svc.spec.selector }, w.labels));
      expect(pods.length, url).toBe(1);
      expect(pods[0]!.spec.containers[0]!.ports!.map((p) => p.name), url).toContain(port.targetPort);
    }
  });

  it('exit 0 when every check answers 2xx, and non-zero on the first that does not', async () => {
    const script = (ofKind(await render(), 'Pod')[0].spec.containers[0].command as string[])[3]!;
    const server = createServer((req, res) => res.writeHead(req.url === '/ok' ? 200 : 503).end('body'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const at = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const run = (...args: string[]) =>
      new Promise<{ code: number; stderr: string }>((resolve) => {
        execFile(process.execPath, ['--input-type=module', '-e', script, ...args], (err, _out, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }));
      });
    try {
      expect((await run(`${at}/ok`, `${at}/ok`)).code).toBe(0);
      const failed = await run(`${at}/ok`, `${at}/broken`);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain(`FAIL ${at}/broken answered 503 body`);
    } finally {
      server.close();
    }
  });
});

describe('Prometheus Operator objects', () => {
  it('are rendered only when enabled: a ServiceMonitor per metrics port and a PodMonitor for the fleet', async () => {
    const off = await render();
    expect(off.docs.filter((d) => d.apiVersion === 'monitoring.coreos.com/v1')).toEqual([]);
    const r = await render({ metrics: { serviceMonitor: { enabled: true, labels: { release: 'prom' }, interval: '15s' } } });
    const monitors = ofKind(r, 'ServiceMonitor');
    expect(monitors.map((m) => `${m.metadata.name}:${m.spec.endpoints[0].port}`)).toEqual([
      'vilo-vilokanam-operator:metrics',
      'vilo-vilokanam-signaling:ops',
      'vilo-vilokanam-social:ops',
      'vilo-vilokanam-settlement:metrics',
    ]);
    for (const m of monitors) {
      expect(m.metadata.labels.release).toBe('prom');
      expect(m.spec.endpoints[0]).toMatchObject({ path: '/metrics', interval: '15s' });
      expect(m.spec.namespaceSelector).toEqual({ matchNames: ['live'] });
      const services = ofKind(r, 'Service').filter((s) => selects(m.spec.selector, s.metadata.labels) && s.spec.ports.some((p: any) => p.name === m.spec.endpoints[0].port));
      expect(services.length, m.metadata.name).toBe(1);
    }
    const pm = find(r, 'PodMonitor', 'vilo-vilokanam-sfu-node') as any;
    // sfu-node's /metrics asks for the Secret's token, and the PodMonitor sends it.
    expect(pm.spec.podMetricsEndpoints).toEqual([
      { port: 'control', path: '/metrics', interval: '15s', scrapeTimeout: '10s', authorization: { type: 'Bearer', credentials: { name: 'vilo-vilokanam-secrets', key: 'sfu-metrics-token' } } },
    ]);
    const open = find(await render({ metrics: { serviceMonitor: { enabled: true } }, sfu: { metricsToken: false } }), 'PodMonitor', 'vilo-vilokanam-sfu-node') as any;
    expect(open.spec.podMetricsEndpoints[0].authorization).toBeUndefined();
    const fleet = workloads(r).find((w) => w.id === 'PodTemplate/vilo-vilokanam-sfu-node')!;
    expect(selects(pm.spec.selector, fleet.labels)).toBe(true);
  });
});

describe('the Grafana dashboard', () => {
  const dashboardPath = join(CHART_DIR, 'dashboards', 'vilokanam.json');

  it('queries only metrics the code defines', async () => {
    const dashboard = JSON.parse(await readFile(dashboardPath, 'utf8'));
    const exprs: string[] = dashboard.panels.flatMap((p: any) => (p.targets ?? []).map((t: any) => t.expr));
    expect(exprs.length).toBeGreaterThan(20);
    const used = new Set(exprs.flatMap((e) => e.match(/\bvilo_[a-z0-9_]+/g) ?? []));
    const source = await sourceText();
    const defined = (name: string) => source.includes(`'${name}'`) || source.includes(`"${name}"`);
    const missing = [...used].filter((n) => !defined(n) && !defined(n.replace(/_(bucket|sum|count)$/, '')));
    expect(missing).toEqual([]);
    // Streams, viewers, nodes, ticks and payouts each have a panel.
    for (const name of ['vilo_operator_livestreams', 'vilo_ws_sessions', 'vilo_operator_fleet_nodes', 'vilo_settlement_ticks_total', 'vilo_settlement_payouts_total']) expect(used).toContain(name);
  });

  it('ships in a labelled ConfigMap only when asked for', async () => {
    expect(ofKind(await render(), 'ConfigMap').map((c) => c.metadata.name)).not.toContain('vilo-vilokanam-dashboard');
    const cm = find(await render({ metrics: { grafanaDashboard: { enabled: true } } }), 'ConfigMap', 'vilo-vilokanam-dashboard') as any;
    expect(cm.metadata.labels.grafana_dashboard).toBe('1');
    expect(JSON.parse(cm.data['vilokanam.json'])).toEqual(JSON.parse(await readFile(dashboardPath, 'utf8')));
  });
});

describe('PodDisruptionBudgets', () => {
  /** Disruptions each budget allows with the chart's replica counts (the fleet at its minimum). */
  const allowed = (r: Rendered): Record<string, number> => {
    const minNodes = Number((find(r, 'ConfigMap', 'vilo-vilokanam-operator') as any).data.VILO_FLEET_MIN_NODES);
    return Object.fromEntries(
      ofKind(r, 'PodDisruptionBudget').map((pdb) => {
        const targets = workloads(r).filter((w) => selects(pdb.spec.selector, w.labels));
        expect(targets.length, pdb.metadata.name).toBe(1);
        const size = targets[0]!.replicas ?? minNodes;
        return [pdb.metadata.name, pdb.spec.maxUnavailable ?? size - pdb.spec.minAvailable];
      }),
    );
  };

  it('every budget allows a disruption, with the defaults and with every budget on', async () => {
    const defaults = allowed(await render());
    expect(Object.keys(defaults).length).toBeGreaterThan(0);
    for (const [name, n] of Object.entries(defaults)) expect(n, name).toBeGreaterThanOrEqual(1);
    const everything = allowed(
      await render({ signaling: { replicas: 2 }, settlement: { replicas: 2 }, sfu: { fleet: { minNodes: 2 }, podDisruptionBudget: { enabled: true, minAvailable: 1 } } }),
    );
    expect(Object.keys(everything).sort()).toEqual(['operator', 'settlement', 'sfu-node', 'signaling', 'social'].map((n) => `vilo-vilokanam-${n}`));
    for (const [name, n] of Object.entries(everything)) expect(n, name).toBeGreaterThanOrEqual(1);
  });

  it('refuses a budget that would block every drain', async () => {
    const args = ['template', 'vilo', CHART_DIR, '--set', 'redis.inChart.enabled=true', '--set', 'postgres.inChart.enabled=true'];
    const fleet = await helm([...args, '--set', 'sfu.podDisruptionBudget.enabled=true', '--set', 'sfu.podDisruptionBudget.minAvailable=1']);
    expect(fleet.stderr).toContain('sfu.podDisruptionBudget.minAvailable must be below sfu.fleet.minNodes');
    for (const component of ['operator', 'signaling', 'settlement']) {
      const res = await helm([...args, '--set', `${component}.podDisruptionBudget.maxUnavailable=0`]);
      expect(res.code, component).not.toBe(0);
      expect(res.stderr, component).toMatch(/maxUnavailable/);
    }
  });
});

describe('kubectl explain livestream.spec', () => {
  it('gives every spec field a description, and docs/kubernetes.md shows what kubectl explain prints', async () => {
    const crd = parse(await readFile(join(CHART_DIR, 'crds', 'livestream.yaml'), 'utf8'));
    const version = crd.spec.versions[0];
    const root = version.schema.openAPIV3Schema as SchemaNode;
    const undescribed: string[] = [];
    const walk = (node: SchemaNode, path: string) => {
      for (const [name, child] of Object.entries((node.type === 'array' ? node.items : node)?.properties ?? {})) {
        if (!child.description) undescribed.push(`${path}.${name}`);
        walk(child, `${path}.${name}`);
      }
    };
    walk(schemaAt(root, 'spec'), 'spec');
    expect(undescribed).toEqual([]);
    const docs = await readFile(join(ROOT, 'docs', 'kubernetes.md'), 'utf8');
    const gvk = { group: crd.spec.group, kind: crd.spec.names.kind, version: version.name };
    for (const path of ['spec', 'spec.edges', 'spec.simulcast']) {
      expect(docs, path).toContain(`$ kubectl explain livestream.${path}\n${explain(gvk, root, path)}\n`);
    }
  });
});

/** The non-test TypeScript of every package that registers metrics (not the test kit, which may name them). */
async function sourceText(): Promise<string> {
  const services = (await readdir(join(ROOT, 'services'))).filter((s) => s !== 'testkit');
  const dirs = ['sfu-node/src', 'operator/src', ...services.map((s) => `services/${s}/src`)];
  const texts: string[] = [];
  for (const dir of dirs) {
    const files = await readdir(join(ROOT, dir), { recursive: true }).catch(() => [] as string[]);
    for (const f of files) if (f.endsWith('.ts') && !f.endsWith('.test.ts')) texts.push(await readFile(join(ROOT, dir, f), 'utf8'));
  }
  return texts.join('\n');
}
