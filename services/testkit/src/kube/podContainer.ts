// What a kubelet makes of a pod's spec before it starts the container: the env with its
// references resolved, the volumes as files or tmpfs mounts, the ServiceAccount token mount,
// and the container's user, groups and root file system. Pods here share the host's network,
// so where a real pod would bind the wildcard of its own network, the env names `bindEnv` get
// the pod IP.
import { chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CoreV1Api, V1Container, V1EnvFromSource, V1EnvVar, V1Pod, V1Volume } from '@kubernetes/client-node';
import type { ContainerSpec } from '../containers/Podman.ts';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const WILDCARDS = new Set(['0.0.0.0', '::', '[::]']);

/** What resolving a pod's env needs. */
export interface EnvContext {
  api: CoreV1Api;
  pod: V1Pod;
  podIp: string;
  hostIp: string;
}

export interface PodContext extends EnvContext {
  /** Where this pod's volume files go; removed with the pod. */
  dir: string;
  apiServer: { host: string; port: number; caPem: string };
  tokenFor: (serviceAccount: string) => string;
  bindEnv: readonly string[];
  extraEnv: Record<string, string>;
  addHosts: Record<string, string>;
}

export class PodSpecError extends Error {
  override name = 'PodSpecError';
}

/** The container spec for the pod's first container, as podman takes it. */
export async function podContainer(c: PodContext): Promise<ContainerSpec> {
  const container = c.pod.spec!.containers[0]!;
  const env = await podEnv(c);
  // Unset, these default to a wildcard in every component.
  for (const key of c.bindEnv) if (env[key] === undefined || WILDCARDS.has(env[key]!)) env[key] = c.podIp;
  // The kubelet injects the API's address into every pod, service links or not.
  Object.assign(env, { KUBERNETES_SERVICE_HOST: c.apiServer.host, KUBERNETES_SERVICE_PORT: String(c.apiServer.port) }, c.extraEnv);
  const { mounts, tmpfs } = await resolveVolumes(c, container);
  const sc = container.securityContext;
  const fsGroup = c.pod.spec!.securityContext?.fsGroup;
  const uid = sc?.runAsUser ?? c.pod.spec!.securityContext?.runAsUser;
  const gid = sc?.runAsGroup ?? c.pod.spec!.securityContext?.runAsGroup;
  const [entrypoint, ...commandRest] = container.command ?? [];
  return {
    image: container.image!,
    env,
    mounts,
    tmpfs,
    addHosts: c.addHosts,
    readOnly: sc?.readOnlyRootFilesystem === true,
    ...(uid !== undefined ? { user: gid !== undefined ? `${uid}:${gid}` : String(uid) } : {}),
    ...(fsGroup !== undefined ? { groups: [fsGroup] } : {}),
    // Kubernetes' command replaces the image's ENTRYPOINT and args its CMD.
    ...(entrypoint !== undefined ? { entrypoint } : {}),
    command: entrypoint !== undefined ? [...commandRest, ...(container.args ?? [])] : (container.args ?? []),
  };
}

/** The first container's env as a kubelet resolves it: envFrom, then values and references. */
export async function podEnv(c: EnvContext): Promise<Record<string, string>> {
  const container = c.pod.spec!.containers[0]!;
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) Object.assign(env, await envFrom(c, from));
  for (const e of container.env ?? []) {
    const value = await envValue(c, e);
    if (value !== undefined) env[e.name] = value;
  }
  return env;
}

async function envFrom(c: EnvContext, from: V1EnvFromSource): Promise<Record<string, string>> {
  const prefix = from.prefix ?? '';
  const data = from.configMapRef
    ? await configMapData(c, from.configMapRef.name!, from.configMapRef.optional === true)
    : from.secretRef
      ? await secretData(c, from.secretRef.name!, from.secretRef.optional === true)
      : {};
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [prefix + k, v]));
}

async function envValue(c: EnvContext, e: V1EnvVar): Promise<string | undefined> {
  if (e.value !== undefined) return e.value;
  const ref = e.valueFrom;
  if (ref?.fieldRef) return fieldValue(c, ref.fieldRef.fieldPath);
  if (ref?.secretKeyRef) return keyOf(await secretData(c, ref.secretKeyRef.name!, ref.secretKeyRef.optional === true), ref.secretKeyRef.key, e.name, ref.secretKeyRef.optional);
  if (ref?.configMapKeyRef) return keyOf(await configMapData(c, ref.configMapKeyRef.name!, ref.configMapKeyRef.optional === true), ref.configMapKeyRef.key, e.name, ref.configMapKeyRef.optional);
  if (ref) throw new PodSpecError(`env ${e.name}: unsupported valueFrom`);
  return '';
}

function keyOf(data: Record<string, string>, key: string, env: string, optional: boolean | undefined): string | undefined {
  if (data[key] !== undefined || optional) return data[key];
  throw new PodSpecError(`env ${env}: key ${key} not found`);
}

function fieldValue(c: EnvContext, path: string): string {
  const pod = c.pod;
  switch (path) {
    case 'metadata.name': return pod.metadata!.name!;
    case 'metadata.namespace': return pod.metadata!.namespace!;
    case 'metadata.uid': return pod.metadata!.uid ?? '';
    case 'spec.nodeName': return pod.spec!.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec!.serviceAccountName ?? 'default';
    case 'status.podIP': return c.podIp;
    case 'status.hostIP': return c.hostIp;
    default: throw new PodSpecError(`fieldRef ${path} is not supported here`);
  }
}

async function configMapData(c: EnvContext, name: string, optional: boolean): Promise<Record<string, string>> {
  try {
    return (await c.api.readNamespacedConfigMap({ name, namespace: c.pod.metadata!.namespace! })).data ?? {};
  } catch (err) {
    if (optional) return {};
    throw new PodSpecError(`configmap ${name}: ${(err as Error).message}`);
  }
}

async function secretData(c: EnvContext, name: string, optional: boolean): Promise<Record<string, string>> {
  try {
    const s = await c.api.readNamespacedSecret({ name, namespace: c.pod.metadata!.namespace! });
    return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
  } catch (err) {
    if (optional) return {};
    throw new PodSpecError(`secret ${name}: ${(err as Error).message}`);
  }
}

async function resolveVolumes(c: PodContext, container: V1Container): Promise<{ mounts: Record<string, string>; tmpfs: string[] }> {
  const volumes = new Map((c.pod.spec!.volumes ?? []).map((v) => [v.name, v]));
  const mounts: Record<string, string> = {};
  const tmpfs: string[] = [];
  for (const m of container.volumeMounts ?? []) {
    const v = volumes.get(m.name);
    if (!v) throw new PodSpecError(`volumeMount ${m.name}: no such volume`);
    if (v.emptyDir) tmpfs.push(m.mountPath);
    else mounts[await volumeFiles(c, v)] = m.mountPath;
  }
  if (c.pod.spec!.automountServiceAccountToken !== false) mounts[await serviceAccountFiles(c)] = SERVICE_ACCOUNT_DIR;
  return { mounts, tmpfs };
}

/** A secret or configMap volume as files, mode and group as the kubelet would set them. */
async function volumeFiles(c: PodContext, v: V1Volume): Promise<string> {
  const source = v.secret ?? v.configMap;
  if (!source) throw new PodSpecError(`volume ${v.name}: only emptyDir, secret and configMap volumes run here`);
  const data = v.secret
    ? await secretData(c, v.secret.secretName!, v.secret.optional === true)
    : await configMapData(c, v.configMap!.name!, v.configMap!.optional === true);
  const items = source.items ?? Object.keys(data).map((key) => ({ key, path: key, mode: undefined }));
  const dir = join(c.dir, 'volumes', v.name);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const fsGroup = c.pod.spec!.securityContext?.fsGroup;
  for (const item of items) {
    if (data[item.key] === undefined) throw new PodSpecError(`volume ${v.name}: key ${item.key} not found`);
    const file = join(dir, item.path);
    await writeFile(file, data[item.key]!, { mode: item.mode ?? source.defaultMode ?? 0o644 });
    if (fsGroup !== undefined) await chown(file, 0, fsGroup);
  }
  return dir;
}

async function serviceAccountFiles(c: PodContext): Promise<string> {
  const dir = join(c.dir, 'serviceaccount');
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const account = c.pod.spec!.serviceAccountName ?? 'default';
  await writeFile(join(dir, 'token'), c.tokenFor(account), { mode: 0o644 });
  await writeFile(join(dir, 'ca.crt'), c.apiServer.caPem, { mode: 0o644 });
  await writeFile(join(dir, 'namespace'), c.pod.metadata!.namespace!, { mode: 0o644 });
  return dir;
}
