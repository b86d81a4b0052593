// Typed LiveStream calls over CustomObjectsApi. Writes that depend on what was read carry the
// resourceVersion, so a decision made on stale data fails with 409 instead of landing.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type LiveStream, type LiveStreamInput, type LiveStreamStatus } from './livestream.ts';

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export class LiveStreamClient {
  readonly #api: CustomObjectsApi;

  constructor(kc: KubeConfig) {
    this.#api = kc.makeApiClient(CustomObjectsApi);
  }

  #ref(namespace: string) {
    return { group: GROUP, version: VERSION, namespace, plural: PLURAL };
  }

  get(namespace: string, name: string): Promise<LiveStream> {
    return this.#api.getNamespacedCustomObject({ ...this.#ref(namespace), name }) as Promise<LiveStream>;
  }

  list(namespace: string): Promise<{ items: LiveStream[]; metadata?: { resourceVersion?: string } }> {
    return this.#api.listNamespacedCustomObject({ ...this.#ref(namespace) }) as Promise<{ items: LiveStream[]; metadata?: { resourceVersion?: string } }>;
  }

  create(namespace: string, body: LiveStreamInput): Promise<LiveStream> {
    return this.#api.createNamespacedCustomObject({ ...this.#ref(namespace), body }) as Promise<LiveStream>;
  }

  delete(namespace: string, name: string): Promise<unknown> {
    return this.#api.deleteNamespacedCustomObject({ ...this.#ref(namespace), name });
  }

  /** Replaces status through the status subresource; 409 if `ls` is not the latest version. */
  replaceStatus(ls: LiveStream, status: LiveStreamStatus): Promise<LiveStream> {
    const body = { apiVersion: ls.apiVersion, kind: ls.kind, metadata: ls.metadata, spec: ls.spec, status };
    return this.#api.replaceNamespacedCustomObjectStatus({
      ...this.#ref(ls.metadata.namespace),
      name: ls.metadata.name,
      body,
    }) as Promise<LiveStream>;
  }

  /** Sets the finalizer list, guarded by the resourceVersion it was computed from. */
  setFinalizers(ls: LiveStream, finalizers: string[]): Promise<LiveStream> {
    return this.#api.patchNamespacedCustomObject(
      {
        ...this.#ref(ls.metadata.namespace),
        name: ls.metadata.name,
        body: { metadata: { finalizers, resourceVersion: ls.metadata.resourceVersion } },
      },
      merge,
    ) as Promise<LiveStream>;
  }

  /** Merges annotations into metadata (a null value removes one). */
  annotate(namespace: string, name: string, annotations: Record<string, string | null>): Promise<LiveStream> {
    return this.#api.patchNamespacedCustomObject({ ...this.#ref(namespace), name, body: { metadata: { annotations } } }, merge) as Promise<LiveStream>;
  }

  patchSpec(namespace: string, name: string, spec: Record<string, unknown>): Promise<LiveStream> {
    return this.#api.patchNamespacedCustomObject({ ...this.#ref(namespace), name, body: { spec } }, merge) as Promise<LiveStream>;
  }

  static watchPath(namespace: string): string {
    return `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}`;
  }
}
