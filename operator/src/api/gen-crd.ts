// `npm run gen:crd`: writes the LiveStream CRD where kubectl users and the Helm chart find it.
// crd.test.ts fails when a committed copy differs from what this writes.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { liveStreamCrdYaml } from './crd.ts';

export const CRD_PATHS = ['crds/livestream.yaml', 'charts/vilokanam/crds/livestream.yaml'];
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

if (import.meta.main) {
  const yaml = liveStreamCrdYaml();
  for (const path of CRD_PATHS) {
    await writeFile(repoRoot + path, yaml);
    process.stdout.write(`wrote ${path}\n`);
  }
}
