import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Informer } from '@vilokanam/operator';

/** A cache of one namespace's pods (those `labelSelector` picks), as the test kubelets and proxies watch them. */
export function podInformer(o: { kc: KubeConfig; namespace: string; name: string; log: Logger; labelSelector?: string; resyncMs: number }): Informer<V1Pod> {
  const api = o.kc.makeApiClient(CoreV1Api);
  return new Informer<V1Pod>({
    kc: o.kc,
    name: o.name,
    path: `/api/v1/namespaces/${o.namespace}/pods`,
    list: () => api.listNamespacedPod({ namespace: o.namespace, ...(o.labelSelector ? { labelSelector: o.labelSelector } : {}) }),
    ...(o.labelSelector ? { labelSelector: o.labelSelector } : {}),
    log: o.log,
    resyncMs: o.resyncMs,
  });
}
