// sfu-node pods from the PodTemplate the Helm chart renders (hostNetwork, the UDP port range,
// anti-affinity, probes, resources: all chart values). The operator adds only identity: a
// name, the fleet and template-hash labels, and an owner reference to the template, so
// uninstalling the chart garbage-collects the fleet.
import { createHash, randomBytes } from 'node:crypto';
import type { V1Pod, V1PodTemplate } from '@kubernetes/client-node';
import { FLEET_LABEL, TEMPLATE_HASH_LABEL } from './FleetState.ts';

export const MANAGED_BY = 'vilokanam-operator';

/** Stable hash of what the pods would run; a change marks existing pods outdated. */
export function templateHash(template: V1PodTemplate): string {
  return createHash('sha256')
    .update(canonical({ metadata: { labels: template.template?.metadata?.labels, annotations: template.template?.metadata?.annotations }, spec: template.template?.spec }))
    .digest('hex')
    .slice(0, 10);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** Pod names like Kubernetes' generateName suffixes (no vowels, so no accidental words). */
export function podName(prefix: string): string {
  const bytes = randomBytes(5);
  return `${prefix}-${[...bytes].map((b) => ALPHABET[b % ALPHABET.length]).join('')}`;
}

export function sfuPod(template: V1PodTemplate, name: string): V1Pod {
  const meta = template.metadata ?? {};
  const tmpl = template.template ?? {};
  if (!meta.name || !meta.uid || !meta.namespace) throw new Error('PodTemplate needs name, uid and namespace');
  if (!tmpl.spec?.containers?.length) throw new Error(`PodTemplate ${meta.name} has no containers`);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: meta.namespace,
      labels: {
        ...tmpl.metadata?.labels,
        [FLEET_LABEL]: meta.name,
        [TEMPLATE_HASH_LABEL]: templateHash(template),
        'app.kubernetes.io/managed-by': MANAGED_BY,
      },
      annotations: { ...tmpl.metadata?.annotations },
      // blockOwnerDeletion would need update rights on the template's finalizers; not needed.
      ownerReferences: [{ apiVersion: 'v1', kind: 'PodTemplate', name: meta.name, uid: meta.uid, controller: true, blockOwnerDeletion: false }],
    },
    spec: structuredClone(tmpl.spec),
  };
}
