// Finds the control-plane binaries: env overrides first, else the cached scripts under
// scripts/kube/ (which build or extract on a cold machine and print the path on stdout).
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const scriptsDir = fileURLToPath(new URL('../../../../scripts/kube/', import.meta.url));

export interface KubeBinaries {
  kubeApiserver: string;
  /** Built beside kube-apiserver by the same script. */
  kubeControllerManager: string;
  etcd: string;
}

export interface KubeTools {
  kubectl: string;
  helm: string;
}

// A cold kube-apiserver build takes 5–15 min on 2 cores; allow well beyond that.
const BUILD_TIMEOUT_MS = 45 * 60_000;

// Memoised per process so parallel ControlPlanes in one test file share one lookup.
let binaries: Promise<KubeBinaries> | undefined;
let tools: Promise<KubeTools> | undefined;

export function kubeBinaries(): Promise<KubeBinaries> {
  binaries ??= (async () => {
    const [kubeApiserver, etcd] = await Promise.all([
      fromEnvOrScript('VILO_KUBE_APISERVER', 'build-apiserver.sh'),
      fromEnvOrScript('VILO_ETCD', 'etcd.sh'),
    ]);
    const kubeControllerManager = join(dirname(kubeApiserver), 'kube-controller-manager');
    await assertExecutable(kubeControllerManager, 'VILO_KUBE_APISERVER');
    return { kubeApiserver, kubeControllerManager, etcd };
  })();
  binaries.catch(() => (binaries = undefined));
  return binaries;
}

export function kubeTools(): Promise<KubeTools> {
  tools ??= (async () => {
    const dir = process.env.VILO_KUBE_TOOLS ?? (await runScript('tools.sh'));
    const found = { kubectl: join(dir, 'kubectl'), helm: join(dir, 'helm') };
    await Promise.all([assertExecutable(found.kubectl, 'VILO_KUBE_TOOLS'), assertExecutable(found.helm, 'VILO_KUBE_TOOLS')]);
    return found;
  })();
  tools.catch(() => (tools = undefined));
  return tools;
}

async function fromEnvOrScript(envName: string, script: string): Promise<string> {
  const path = process.env[envName] || (await runScript(script));
  await assertExecutable(path, envName);
  return path;
}

function runScript(script: string): Promise<string> {
  const path = join(scriptsDir, script);
  return new Promise((resolve, reject) => {
    execFile('bash', [path], { timeout: BUILD_TIMEOUT_MS, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const tail = stderr.trim().split('\n').slice(-15).join('\n');
        reject(new Error(`scripts/kube/${script} failed (${err.message.split('\n')[0]}):\n${tail}`));
        return;
      }
      const out = stdout.trim().split('\n').at(-1) ?? '';
      if (!out) reject(new Error(`scripts/kube/${script} printed no path`));
      else resolve(out);
    });
  });
}

async function assertExecutable(path: string, envName: string): Promise<void> {
  try {
    await access(path, constants.X_OK);
  } catch {
    throw new Error(`${path} is not an executable (set ${envName} or run scripts/kube/)`);
  }
}
