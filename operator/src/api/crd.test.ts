// The CRD YAML committed for kubectl users and the chart must be exactly what the zod source
// generates, and what it generates must be a schema a 1.20 apiserver accepts as structural.
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { liveStreamCrd, liveStreamCrdYaml } from './crd.ts';
import { CRD_PATHS, repoRoot } from './gen-crd.ts';
import { LiveStreamSpec } from './livestream.ts';

type Node = Record<string, unknown>;

function walk(node: Node, path: string, visit: (n: Node, path: string) => void): void {
  visit(node, path);
  for (const [k, v] of Object.entries((node.properties as Record<string, Node>) ?? {})) walk(v, `${path}.${k}`, visit);
  if (node.items) walk(node.items as Node, `${path}[]`, visit);
}

const schema = () => (liveStreamCrd() as any).spec.versions[0].schema.openAPIV3Schema as Node;

describe('the LiveStream CRD', () => {
  it.each(CRD_PATHS)('is committed at %s exactly as `npm run gen:crd` writes it', async (path) => {
    expect(await readFile(repoRoot + path, 'utf8')).toBe(liveStreamCrdYaml());
  });

  it('is structural: every node typed, no $ref, no additionalProperties beside properties', () => {
    const problems: string[] = [];
    walk(schema(), 'root', (n, path) => {
      if (path !== 'root.metadata' && typeof n.type !== 'string') problems.push(`${path} has no type`);
      if ('$ref' in n || '$schema' in n || 'anyOf' in n || 'oneOf' in n) problems.push(`${path} uses a construct 1.20 rejects`);
      if ('properties' in n && 'additionalProperties' in n) problems.push(`${path} mixes properties and additionalProperties`);
      if ('x-kubernetes-validations' in n) problems.push(`${path} uses CEL`);
    });
    expect(problems).toEqual([]);
  });

  it('keeps int64 fields typed as such and pricePerSecond a string of digits', () => {
    const s = schema() as any;
    expect(s.properties.status.properties.observedGeneration).toMatchObject({ type: 'integer', format: 'int64' });
    expect(s.properties.spec.properties.pricePerSecond).toMatchObject({ type: 'string', pattern: '^(0|[1-9][0-9]{0,38})$' });
    expect(s.properties.spec.required).toEqual(['creator', 'title', 'category', 'pricePerSecond']);
    expect(s.properties.status.properties.conditions['x-kubernetes-list-map-keys']).toEqual(['type']);
  });

  it('defaults what zod defaults, so the operator and the apiserver agree', () => {
    const s = schema() as any;
    const parsed = LiveStreamSpec.parse({ creator: 'c', title: 't', category: 'c', pricePerSecond: '0' });
    expect(s.properties.spec.properties.edges.default).toEqual(parsed.edges);
    expect(s.properties.spec.properties.ingest.default).toBe(parsed.ingest);
    expect(s.properties.spec.properties.simulcast.default).toEqual(parsed.simulcast);
    expect(s.properties.spec.properties.maxViewers.default).toBe(parsed.maxViewers);
  });

  it('names, short names, status subresource and printer columns', () => {
    const crd = parse(liveStreamCrdYaml());
    expect(crd.metadata.name).toBe('livestreams.streaming.vilokanam.io');
    expect(crd.spec.names.shortNames).toEqual(['ls', 'lstream']);
    const v = crd.spec.versions[0];
    expect(v.subresources).toEqual({ status: {} });
    expect(v.additionalPrinterColumns.filter((c: any) => !c.priority).map((c: any) => c.name)).toEqual(['Phase', 'Viewers', 'Edges', 'Origin', 'Age']);
  });
});
