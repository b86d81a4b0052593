// Events against a real kube-apiserver, as `kubectl describe` will show them.
import { CoreV1Api } from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlane } from '@vilokanam/testkit/kube';
import { EventRecorder } from './EventRecorder.ts';

const log = pino({ level: 'silent' });
const ns = 'events';
let cp: ControlPlane;

beforeAll(async () => {
  cp = await ControlPlane.start({ logger: log });
  await cp.adminKubeConfig().makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
}, 120_000);
afterAll(() => cp?.close());

describe('EventRecorder', () => {
  it('records an event on the object and counts repeats on the same event', async () => {
    const rec = new EventRecorder(cp.adminKubeConfig(), 'vilokanam-operator', 'op-1', log);
    const obj = { apiVersion: 'streaming.vilokanam.io/v1alpha1', kind: 'LiveStream', metadata: { name: 's1', namespace: ns, uid: 'uid-1' } };
    rec.record(obj, 'Normal', 'OriginPlaced', 'origin on sfu-a');
    await rec.flush();
    rec.record(obj, 'Normal', 'OriginPlaced', 'origin on sfu-a');
    rec.record(obj, 'Warning', 'NoCapacity', 'no sfu-node has room');
    await rec.flush();
    const list = await cp.adminKubeConfig().makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.name=s1' });
    const byReason = Object.fromEntries(list.items.map((e) => [e.reason, e]));
    expect(list.items).toHaveLength(2);
    expect(byReason.OriginPlaced).toMatchObject({
      type: 'Normal',
      count: 2,
      message: 'origin on sfu-a',
      reportingComponent: 'vilokanam-operator',
      reportingInstance: 'op-1',
      involvedObject: { kind: 'LiveStream', name: 's1', uid: 'uid-1', apiVersion: 'streaming.vilokanam.io/v1alpha1' },
      source: { component: 'vilokanam-operator' },
    });
    expect(byReason.NoCapacity).toMatchObject({ type: 'Warning', count: 1 });
  });

  it('never fails the caller when the apiserver refuses the event', async () => {
    const rec = new EventRecorder(cp.adminKubeConfig(), 'c', 'i', log);
    rec.record({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'no-such-namespace' } }, 'Normal', 'NodeCreated', 'y');
    await expect(rec.flush()).resolves.toBeUndefined();
  });
});
