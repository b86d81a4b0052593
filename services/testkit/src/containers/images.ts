// The images built from docker/ for this run. scripts/test.sh builds them before the tests and
// passes them as VILO_IMAGES ("name=ref,name=ref"); a test run without it builds them itself.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BUILD = fileURLToPath(new URL('../../../../scripts/images/build.sh', import.meta.url));
export const IMAGE_NAMES = ['sfu-node', 'operator', 'settlement', 'social', 'signaling'] as const;
export type ImageName = (typeof IMAGE_NAMES)[number];
export type Images = Record<ImageName, string>;

let built: Promise<Images> | undefined;

function parse(list: string, sep: RegExp): Partial<Images> {
  const out: Partial<Images> = {};
  for (const entry of list.split(sep)) {
    const [name, ref] = entry.trim().split(/[= ]/);
    if (name && ref && (IMAGE_NAMES as readonly string[]).includes(name)) out[name as ImageName] = ref;
  }
  return out;
}

function complete(images: Partial<Images>, source: string): Images {
  const missing = IMAGE_NAMES.filter((n) => !images[n]);
  if (missing.length) throw new Error(`${source} lacks images: ${missing.join(', ')}`);
  return images as Images;
}

export function builtImages(): Promise<Images> {
  built ??= (async () => {
    if (process.env.VILO_IMAGES) return complete(parse(process.env.VILO_IMAGES, /,/), 'VILO_IMAGES');
    const { stdout } = await run('bash', [BUILD], { maxBuffer: 16 << 20, timeout: 40 * 60_000 });
    return complete(parse(stdout, /\n/), 'scripts/images/build.sh');
  })();
  return built;
}
