// kind, Tilt and Docker cannot run on this machine; this checks everything about them that can
// be checked without them: the kind config matches its generator and the chart values, the
// Tiltfile parses and names real files and resources, and each Dockerfile copies files that
// exist and ships every runtime library the self-built mediasoup worker links.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CHART_DIR, helm, renderChart } from '@vilokanam/testkit/kube';

const run = promisify(execFile);
const root = join(CHART_DIR, '../..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');
const kindValues = parse(read('scripts/kind/values.yaml'));

describe('scripts/kind', () => {
  it('commits exactly what config.sh generates', async () => {
    const { stdout } = await run('bash', [join(root, 'scripts/kind/config.sh')]);
    expect(read('scripts/kind/kind-config.yaml')).toBe(stdout);
  });

  it('maps every media port of the chart values, UDP and TCP, on the node the sfu-node is pinned to', () => {
    const config = parse(read('scripts/kind/kind-config.yaml'));
    expect(config).toMatchObject({ kind: 'Cluster', apiVersion: 'kind.x-k8s.io/v1alpha4' });
    const sfuNodes = config.nodes.filter((n: any) => n.labels?.['vilokanam.io/sfu'] === 'true');
    expect(sfuNodes).toHaveLength(1);
    expect(kindValues.sfu.nodeSelector).toEqual({ 'vilokanam.io/sfu': 'true' });
    expect(kindValues.sfu.fleet.maxNodes).toBe(1);
    const mapped = new Set(sfuNodes[0].extraPortMappings.map((m: any) => `${m.protocol}/${m.containerPort}/${m.hostPort}`));
    for (let p = kindValues.sfu.rtcPorts.min; p <= kindValues.sfu.rtcPorts.max; p++) {
      expect(mapped.has(`UDP/${p}/${p}`), `UDP ${p}`).toBe(true);
      expect(mapped.has(`TCP/${p}/${p}`), `TCP ${p}`).toBe(true);
    }
    const http = config.nodes[0].extraPortMappings[0];
    expect(http).toMatchObject({ containerPort: kindValues.signaling.service.nodePort, hostPort: 8080, listenAddress: '127.0.0.1' });
  });

  it('has chart values that lint and render for development (watch, writable root, NodePort)', async () => {
    const lint = await helm(['lint', '--strict', CHART_DIR, '-f', join(root, 'scripts/kind/values.yaml'), '--set', 'dev.watch=true']);
    expect(lint.code).toBe(0);
    const r = await renderChart({ release: 'vilo', namespace: 'vilokanam', values: { ...kindValues, dev: { watch: true } } });
    const operator = r.docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'vilo-vilokanam-operator') as any;
    expect(operator.spec.template.spec.containers[0].command).toContain('--watch');
    expect(operator.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem).toBe(false);
    const svc = r.docs.find((d) => d.kind === 'Service' && d.metadata.name === 'vilo-vilokanam-signaling') as any;
    expect(svc.spec).toMatchObject({ type: 'NodePort', ports: [{ nodePort: 30080 }] });
  });
});

describe('Tiltfile', () => {
  const tiltfile = read('Tiltfile');

  it('parses (Starlark is a Python subset) and points at files that exist', async () => {
    await run('python3', ['-c', 'import ast,sys; ast.parse(open(sys.argv[1]).read())', join(root, 'Tiltfile')]);
    for (const [, path] of tiltfile.matchAll(/dockerfile='([^']+)'/g)) expect(existsSync(join(root, path!)), path).toBe(true);
    for (const [, path] of tiltfile.matchAll(/sync\('([^']+)'/g)) expect(existsSync(join(root, path!)), path).toBe(true);
    expect(tiltfile).toContain("values=['scripts/kind/values.yaml']");
  });

  it('names resources the chart really renders, and builds every image the chart uses', async () => {
    const r = await renderChart({ release: 'vilo', namespace: 'vilokanam', values: { ...kindValues, dev: { watch: true } } });
    const workloads = new Set(r.docs.filter((d) => ['Deployment', 'StatefulSet', 'PodTemplate'].includes(d.kind)).map((d) => d.metadata.name));
    for (const [, name] of tiltfile.matchAll(/k8s_resource\('([^']+)'/g)) expect(workloads.has(name!), name).toBe(true);
    const images = new Set([...r.yaml.matchAll(/image: (vilokanam\/[a-z-]+):/g)].map((m) => m[1]));
    const built = new Set([...tiltfile.matchAll(/docker_build\(\s*'([^']+)'/g)].map((m) => m[1]));
    expect([...images].sort()).toEqual([...built].sort());
  });
});

describe('Dockerfiles', () => {
  const files = ['sfu-node', 'operator', 'signaling', 'social', 'settlement'].map((n) => `docker/${n}.Dockerfile`);

  it.each(files)('%s copies only paths that exist and runs an entry point that exists', (file) => {
    const text = read(file);
    expect(text.split('\n')[0]).toBe('# syntax=docker/dockerfile:1.7');
    for (const [, args] of text.matchAll(/^COPY (?!--from)(?:--chown=\S+ )?(.+)$/gm)) {
      const sources = args!.trim().split(/\s+/).slice(0, -1);
      for (const s of sources) expect(existsSync(join(root, s)), `${file}: COPY ${s}`).toBe(true);
    }
    const cmd = /^CMD \["node", "([^"]+)"\]$/m.exec(text)?.[1];
    expect(cmd && existsSync(join(root, cmd)), `${file}: CMD`).toBe(true);
    // The base is an argument defaulting to the public image, so users build unchanged.
    expect(text).toMatch(/^ARG NODE_IMAGE=node:24-bookworm-slim$/m);
    expect(text).toMatch(/^FROM \$\{NODE_IMAGE\}( AS \w+)?$/m);
    expect(text).toMatch(/^USER 10001:10001$/m);
    expect(existsSync(join(root, `${file}.dockerignore`))).toBe(true);
  });

  it('ships the sources and migrations of every workspace package signaling and social load', () => {
    // Signaling mounts social in-process; both open settlement's database, whose entry loads the chain client.
    const needs: Record<string, string[]> = {
      signaling: ['services/social/src', 'services/social/migrations', 'services/settlement/src', 'services/settlement/migrations', 'chain/src'],
      social: ['services/social/src', 'services/social/migrations', 'services/settlement/src', 'services/settlement/migrations', 'chain/src', 'services/contracts/src'],
    };
    for (const [image, paths] of Object.entries(needs)) {
      const text = read(`docker/${image}.Dockerfile`);
      const runtime = text.slice(text.lastIndexOf('\nFROM '));
      for (const path of paths) expect(runtime, `${image}: ${path}`).toMatch(new RegExp(`^COPY (--chown=\\S+ )?${path} ${path}$`, 'm'));
      for (const pkg of paths.filter((p) => p.endsWith('/src')).map((p) => p.replace(/\/src$/, ''))) {
        expect(runtime, `${image}: ${pkg}/package.json`).toContain(`COPY ${pkg}/package.json ${pkg}/`);
      }
    }
    expect(read('docker/social.Dockerfile')).toContain('npm ci --omit=dev --workspace services/social');
  });

  it('builds the worker with the project script and installs every library it links', async () => {
    const text = read('docker/sfu-node.Dockerfile');
    expect(text).toContain('bash scripts/mediasoup-worker/build.sh');
    const installed = /apt-get install -y --no-install-recommends ([^\n]+)/.exec(text)![1]!.split(/\s+/);
    // The same build on this (bookworm) machine: which packages own what the worker links?
    const bin = process.env.MEDIASOUP_WORKER_BIN || (await run('bash', [join(root, 'scripts/mediasoup-worker/build.sh')], { maxBuffer: 1 << 20 })).stdout.trim();
    const { stdout: ldd } = await run('ldd', [bin]);
    const libs = [...ldd.matchAll(/=> (\/\S+)/g)].map((m) => m[1]!);
    const owners = new Set<string>();
    for (const lib of libs) {
      const { stdout } = await run('dpkg', ['-S', lib.replace(/^\/lib\//, '/usr/lib/')]).catch(() => run('dpkg', ['-S', lib]));
      owners.add(stdout.split(':')[0]!);
    }
    // libc6, libgcc-s1 and the OpenSSL/zlib the Node base image already carries are in every image.
    const base = new Set(['libc6', 'libgcc-s1']);
    const missing = [...owners].filter((p) => !base.has(p) && !installed.includes(p));
    expect(missing).toEqual([]);
    expect(installed).toEqual(expect.arrayContaining(['libuv1', 'libssl3', 'libabsl20220623', 'libstdc++6']));
  });
});
