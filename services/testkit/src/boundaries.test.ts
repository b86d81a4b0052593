// The package boundaries, enforced: no relative import leaves its package; every package a file
// imports is declared in its package.json; production code depends only on what the map in
// docs/architecture.md allows, and never on the test kit.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Folders that are packages (workspaces), plus bench/ and scripts/, which import like packages do. */
const PACKAGES: Record<string, string> = {
  'services/contracts': '@vilokanam/contracts',
  'services/testkit': '@vilokanam/testkit',
  'services/signaling': '@vilokanam/signaling',
  'services/settlement': '@vilokanam/settlement',
  'services/social': '@vilokanam/social',
  'sfu-node': '@vilokanam/sfu-node',
  operator: '@vilokanam/operator',
  chain: '@vilokanam/chain',
  web: '@vilokanam/web',
  bench: 'bench',
  scripts: 'scripts',
};
const SKIP = new Set(['node_modules', 'build', '.svelte-kit', '.data']);

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full));
    else if (/\.(ts|svelte)$/.test(name) && !name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

function packageOf(file: string): string | undefined {
  const rel = path.relative(ROOT, file);
  return Object.keys(PACKAGES).find((p) => rel === p || rel.startsWith(`${p}/`));
}

/** Tests and what only tests use: they may lean on the test kit and on dev dependencies. */
function isTestCode(file: string): boolean {
  const rel = path.relative(ROOT, file);
  return /\.test\.ts$/.test(rel) || /\/(testing|e2e|abuse)\//.test(rel) || rel.startsWith('services/testkit/') || rel.startsWith('bench/') || rel.startsWith('scripts/');
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => (m[1] ?? m[2])!);
}

function declared(pkg: string): { deps: Set<string>; dev: Set<string>; exports: Set<string> } {
  const json = JSON.parse(readFileSync(path.join(ROOT, pkg, 'package.json'), 'utf8'));
  return { deps: new Set(Object.keys(json.dependencies ?? {})), dev: new Set(Object.keys(json.devDependencies ?? {})), exports: new Set(Object.keys(json.exports ?? { '.': '' })) };
}

/** The dependency map from docs/architecture.md: the table whose header is `| package | … | depends on |`. */
function allowedMap(): Map<string, Set<string>> {
  const doc = readFileSync(path.join(ROOT, 'docs/architecture.md'), 'utf8');
  const map = new Map<string, Set<string>>();
  for (const line of doc.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const name = /^`(@vilokanam\/[a-z-]+)`$/.exec(cells[1] ?? '')?.[1];
    if (!name) continue;
    const deps = [...(cells[cells.length - 2] ?? '').matchAll(/`(@vilokanam\/[a-z-]+)`/g)].map((m) => m[1]!);
    map.set(name, new Set(deps));
  }
  return map;
}

const files = Object.keys(PACKAGES).flatMap((p) => sourceFiles(path.join(ROOT, p)));

describe('package boundaries', () => {
  it('finds the packages and their files', () => {
    expect(files.length).toBeGreaterThan(300);
  });

  it('has no relative import that leaves its package', () => {
    const crossing: string[] = [];
    for (const file of files) {
      for (const spec of importsOf(file)) {
        if (!spec.startsWith('.')) continue;
        const target = path.resolve(path.dirname(file), spec);
        if (packageOf(target) !== packageOf(file)) crossing.push(`${path.relative(ROOT, file)} → ${spec}`);
      }
    }
    expect(crossing).toEqual([]);
  });

  it('declares every workspace package a file imports, and imports only what that package exports', () => {
    const problems: string[] = [];
    for (const file of files) {
      const pkg = packageOf(file)!;
      if (pkg === 'bench' || pkg === 'scripts') continue;
      const own = declared(pkg);
      for (const spec of importsOf(file)) {
        const m = /^(@vilokanam\/[a-z-]+)(\/.*)?$/.exec(spec);
        if (!m || m[1] === PACKAGES[pkg]) continue;
        const [, name, sub] = m;
        const ok = own.deps.has(name!) || (isTestCode(file) && own.dev.has(name!));
        if (!ok) problems.push(`${path.relative(ROOT, file)}: ${name} is not declared in ${pkg}/package.json`);
        const target = Object.entries(PACKAGES).find(([, n]) => n === name)?.[0];
        if (target && !declared(target).exports.has(`.${sub ?? ''}`)) problems.push(`${path.relative(ROOT, file)}: ${spec} is not an export of ${name}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('keeps production code to the dependencies docs/architecture.md draws, and away from the test kit', () => {
    const allowed = allowedMap();
    expect([...allowed.keys()].sort()).toEqual(Object.values(PACKAGES).filter((n) => n.startsWith('@')).sort());
    const problems: string[] = [];
    for (const file of files) {
      if (isTestCode(file)) continue;
      const name = PACKAGES[packageOf(file)!]!;
      for (const spec of importsOf(file)) {
        const dep = /^(@vilokanam\/[a-z-]+)/.exec(spec)?.[1];
        if (!dep || dep === name) continue;
        if (!allowed.get(name)?.has(dep)) problems.push(`${path.relative(ROOT, file)}: ${name} → ${dep} is not in the map`);
      }
    }
    expect(problems).toEqual([]);
  });
});
