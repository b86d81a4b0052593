// Reading a rendered chart the way the cluster would: the pods each workload runs, their
// containers' env, and which pods a label selector picks.
import type { Rendered } from '@vilokanam/testkit/kube';

export type Labels = Record<string, string>;
export interface Selector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: unknown; fieldRef?: unknown };
}
export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string } }[];
  ports?: { name: string; containerPort: number }[];
  [k: string]: unknown;
}
export interface PodSpec {
  containers: Container[];
  volumes?: { name: string; secret?: { secretName: string; defaultMode?: number; items?: { key: string; path: string }[] } }[];
  hostNetwork?: boolean;
  [k: string]: unknown;
}
export interface Workload {
  /** Kind/name of the object that holds the pod spec. */
  id: string;
  labels: Labels;
  annotations: Labels;
  spec: PodSpec;
  /** Deployment/StatefulSet replicas; undefined for PodTemplates and Pods. */
  replicas: number | undefined;
}

/** Every pod the chart describes: Deployments, StatefulSets, the sfu-node PodTemplate, test Pods. */
export function workloads(r: Rendered): Workload[] {
  const out: Workload[] = [];
  for (const d of r.docs as any[]) {
    if (d.kind === 'Deployment' || d.kind === 'StatefulSet') {
      const t = d.spec.template;
      out.push({ id: `${d.kind}/${d.metadata.name}`, labels: t.metadata.labels, annotations: t.metadata.annotations ?? {}, spec: t.spec, replicas: d.spec.replicas });
    } else if (d.kind === 'PodTemplate') {
      out.push({ id: `PodTemplate/${d.metadata.name}`, labels: d.template.metadata.labels, annotations: d.template.metadata.annotations ?? {}, spec: d.template.spec, replicas: undefined });
    } else if (d.kind === 'Pod') {
      out.push({ id: `Pod/${d.metadata.name}`, labels: d.metadata.labels, annotations: d.metadata.annotations ?? {}, spec: d.spec, replicas: undefined });
    }
  }
  return out;
}

export function workload(r: Rendered, id: string): Workload {
  const w = workloads(r).find((x) => x.id === id);
  if (!w) throw new Error(`rendered chart has no ${id}`);
  return w;
}

/** name → value or valueFrom of a container's env. */
export function envOf(c: Container): Record<string, unknown> {
  return Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
}

/** Whether a label selector picks an object with these labels (In and NotIn, as the chart uses). */
export function selects(selector: Selector, labels: Labels): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = e.values?.includes(labels[e.key] ?? '\u0000') ?? false;
    if (e.operator === 'In' && !has) return false;
    if (e.operator === 'NotIn' && has) return false;
    if (e.operator === 'Exists' && !(e.key in labels)) return false;
  }
  return true;
}

/** The labels of this chart's pods for a component, release `vilo`. */
export const podLabels = (component: string, instance = 'vilo'): Labels => ({
  'app.kubernetes.io/name': 'vilokanam',
  'app.kubernetes.io/instance': instance,
  'app.kubernetes.io/component': component,
});
