import type { V1PodTemplate } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { FLEET_LABEL, TEMPLATE_HASH_LABEL } from './FleetState.ts';
import { podName, sfuPod, templateHash } from './podTemplate.ts';

const template = (image = 'vilokanam/sfu-node:1'): V1PodTemplate => ({
  metadata: { name: 'vilo-sfu-node', namespace: 'live', uid: 'u-1' },
  template: {
    metadata: { labels: { 'app.kubernetes.io/component': 'sfu-node' }, annotations: { 'prometheus.io/scrape': 'true' } },
    spec: { hostNetwork: true, containers: [{ name: 'sfu-node', image }] },
  },
});

describe('sfuPod', () => {
  it('copies the template and adds only identity: name, fleet and hash labels, owner', () => {
    const pod = sfuPod(template(), 'vilo-sfu-node-abcde');
    expect(pod.metadata).toMatchObject({
      name: 'vilo-sfu-node-abcde',
      namespace: 'live',
      labels: { 'app.kubernetes.io/component': 'sfu-node', [FLEET_LABEL]: 'vilo-sfu-node', [TEMPLATE_HASH_LABEL]: templateHash(template()), 'app.kubernetes.io/managed-by': 'vilokanam-operator' },
      annotations: { 'prometheus.io/scrape': 'true' },
      ownerReferences: [{ kind: 'PodTemplate', name: 'vilo-sfu-node', uid: 'u-1', controller: true, blockOwnerDeletion: false }],
    });
    expect(pod.spec).toEqual(template().template!.spec);
  });
  it('refuses a template without containers', () => {
    expect(() => sfuPod({ ...template(), template: { spec: { containers: [] } } }, 'x')).toThrow('has no containers');
  });
});

describe('templateHash', () => {
  it('changes with what pods run, not with key order', () => {
    const a = template();
    const b: V1PodTemplate = { metadata: a.metadata, template: { spec: a.template!.spec, metadata: a.template!.metadata } };
    expect(templateHash(a)).toBe(templateHash(b));
    expect(templateHash(template('vilokanam/sfu-node:2'))).not.toBe(templateHash(a));
  });
});

describe('podName', () => {
  it('is the prefix and five lowercase consonants or digits', () => {
    expect(podName('vilo-sfu-node')).toMatch(/^vilo-sfu-node-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });
});
