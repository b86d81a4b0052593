// Kubernetes Events (core/v1, what `kubectl describe` shows) for the operator's decisions.
// A repeat of the same event on the same object bumps its count instead of adding another,
// as client-go's recorder does, so a stream stuck retrying does not flood etcd.
import { randomBytes } from 'node:crypto';
import { CoreV1Api, PatchStrategy, setHeaderOptions, type CoreV1Event, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { isStatus, kubeMessage } from './errors.ts';

export interface InvolvedObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string };
}

export type EventType = 'Normal' | 'Warning';

/** Every reason the operator records, as `kubectl describe` shows it (docs/kubernetes.md). */
export type EventReason =
  // LiveStreams
  | 'InvalidSpec'
  | 'NoCapacity'
  | 'OriginPlaced'
  | 'OriginLost'
  | 'EdgeAdded'
  | 'EdgeRemoved'
  | 'EdgeLost'
  | 'ReleaseRetry'
  | 'ReleaseIncomplete'
  | 'Released'
  | 'Ended'
  // The sfu-node fleet
  | 'NodeCreated'
  | 'NodeFailed'
  | 'NodeDraining'
  | 'NodeUndrained'
  | 'NodeRemoved';

interface Seen {
  name: string;
  count: number;
  at: number;
}

const AGGREGATE_MS = 10 * 60_000;
const MAX_SEEN = 4096;

const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d+Z$/, 'Z');

export class EventRecorder {
  readonly #api: CoreV1Api;
  readonly #component: string;
  readonly #instance: string;
  readonly #log: Logger;
  readonly #seen = new Map<string, Seen>();
  readonly #inFlight = new Set<Promise<void>>();

  constructor(kc: KubeConfig, component: string, instance: string, log: Logger) {
    this.#api = kc.makeApiClient(CoreV1Api);
    this.#component = component;
    this.#instance = instance;
    this.#log = log.child({ component: 'events' });
  }

  /** Records in the background; a failed event is logged, never fails the caller. */
  record(obj: InvolvedObject, type: EventType, reason: EventReason, message: string): void {
    const p = this.#record(obj, type, reason, message).catch((err: unknown) =>
      this.#log.warn({ reason, object: obj.metadata.name, err, apiserver: kubeMessage(err) }, 'event not recorded'),
    );
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p));
  }

  /** Waits for events recorded so far (tests, shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.#inFlight]);
  }

  async #record(obj: InvolvedObject, type: EventType, reason: EventReason, message: string): Promise<void> {
    const namespace = obj.metadata.namespace ?? 'default';
    const key = [namespace, obj.metadata.uid ?? obj.metadata.name, type, reason, message].join('\u0000');
    const now = new Date();
    const seen = this.#seen.get(key);
    if (seen && now.getTime() - seen.at < AGGREGATE_MS) {
      seen.count++;
      seen.at = now.getTime();
      try {
        await this.#api.patchNamespacedEvent(
          { name: seen.name, namespace, body: { count: seen.count, lastTimestamp: rfc3339(now) } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
        return;
      } catch (err) {
        if (!isStatus(err, 404)) throw err;
      }
    }
    const name = `${obj.metadata.name}.${now.getTime().toString(16)}${randomBytes(2).toString('hex')}`;
    const event: CoreV1Event = {
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.metadata.name,
        namespace,
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion,
      },
      type,
      reason,
      message: message.slice(0, 1024),
      count: 1,
      // The generated client would serialise Dates with milliseconds; these are metav1.Time.
      firstTimestamp: rfc3339(now) as unknown as Date,
      lastTimestamp: rfc3339(now) as unknown as Date,
      source: { component: this.#component },
      reportingComponent: this.#component,
      reportingInstance: this.#instance,
    };
    await this.#api.createNamespacedEvent({ namespace, body: event });
    if (this.#seen.size >= MAX_SEEN) this.#seen.delete(this.#seen.keys().next().value!);
    this.#seen.set(key, { name, count: 1, at: now.getTime() });
  }
}
