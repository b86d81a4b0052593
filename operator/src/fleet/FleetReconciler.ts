// Sizes the sfu-node fleet to demand (planFleet from @vilokanam/sfu-node): creates pods from the
// chart's PodTemplate, marks surplus pods draining (no new streams or viewers go there),
// deletes a draining pod only once it is drained, and replaces pods of an outdated template
// one at a time. A pod hosting an origin is never drained: its publisher cannot move.
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Pod, type V1PodTemplate } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { planFleet, type FleetMember, type FleetPolicy } from '@vilokanam/sfu-node/client';
import type { EventReason, EventRecorder, EventType } from '../kube/EventRecorder.ts';
import { isStatus } from '../kube/errors.ts';
import type { WorkResult } from '../kube/WorkQueue.ts';
import type { OperatorMetrics } from '../metrics.ts';
import { DRAINING_ANNOTATION, TEMPLATE_HASH_LABEL, podFinished, type FleetState } from './FleetState.ts';
import { podName, sfuPod, templateHash } from './podTemplate.ts';

export const FLEET_KEY = 'fleet';

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d+Z$/, 'Z');

export interface FleetReconcilerOptions {
  namespace: string;
  templateName: string;
  policy: FleetPolicy;
  /** How long the fleet must be oversized before a node is drained. */
  scaleDownDelayMs: number;
  /** A created pod not seen by the informer after this long is forgotten. */
  expectationTtlMs?: number;
  pollMs: number;
}

export interface FleetReconcilerDeps {
  kc: KubeConfig;
  fleet: FleetState;
  pods: () => V1Pod[];
  events: EventRecorder;
  metrics: OperatorMetrics;
  log: Logger;
  /** Origins and edges that found no room, summed over streams. */
  unplaced: () => number;
  /** A pod's draining mark changed: its streams should look again. */
  nodeChanged: (pod: string) => void;
}

export class FleetReconciler {
  readonly #api: CoreV1Api;
  readonly #d: FleetReconcilerDeps;
  readonly #o: FleetReconcilerOptions;
  readonly #log: Logger;
  /** Pods created but not yet seen by the informer (so a quick second pass does not re-create). */
  readonly #expected = new Map<string, number>();
  readonly #marks = new Map<string, string | null>();
  #oversizedSince: number | undefined;
  #template: { at: number; value: V1PodTemplate } | undefined;

  constructor(deps: FleetReconcilerDeps, opts: FleetReconcilerOptions) {
    this.#api = deps.kc.makeApiClient(CoreV1Api);
    this.#d = deps;
    this.#o = opts;
    this.#log = deps.log.child({ controller: 'fleet' });
  }

  async reconcile(): Promise<WorkResult> {
    const template = await this.#podTemplate();
    const hash = templateHash(template);
    const pods = this.#d.pods();
    const seen = new Set(pods.map((p) => p.metadata!.name!));
    const now = Date.now();
    for (const [name, at] of this.#expected) if (seen.has(name) || now - at > (this.#o.expectationTtlMs ?? 60_000)) this.#expected.delete(name);

    for (const pod of pods.filter((p) => podFinished(p) && !p.metadata?.deletionTimestamp)) {
      this.#event(podRef(pod), 'Warning', 'NodeFailed', `sfu-node pod ${pod.metadata!.name} ended (${pod.status?.phase}); replacing it`);
      await this.#delete(pod.metadata!.name!);
    }

    const nodes = this.#d.fleet.nodes();
    // Draining marks this process wrote that the informer has not delivered yet.
    for (const [name, since] of this.#marks) {
      const node = nodes.get(name);
      const pod = pods.find((p) => p.metadata?.name === name);
      if (!node || (pod?.metadata?.annotations?.[DRAINING_ANNOTATION] ?? null) === since) {
        this.#marks.delete(name);
        continue;
      }
      const draining = since !== null || node.terminating;
      nodes.set(name, { ...node, draining, state: draining ? 'draining' : node.ready ? 'ready' : 'starting', drainingSinceMs: since ? Date.parse(since) : undefined });
    }
    const members: FleetMember[] = [
      ...this.#d.fleet.members(nodes),
      ...[...this.#expected.keys()].map((id) => ({ id, state: 'starting' as const, capacity: this.#o.policy.defaultCapacity, consumers: 0, hostsOrigin: false })),
    ];
    const plan = planFleet(members, { unplaced: this.#d.unplaced() }, this.#o.policy, now);

    // Scale down only after the fleet has been oversized for a while: demand flaps.
    if (plan.drain.length) {
      this.#oversizedSince ??= now;
      if (now - this.#oversizedSince < this.#o.scaleDownDelayMs) plan.drain = [];
    } else this.#oversizedSince = undefined;

    // Rolling replacement: one outdated pod at a time, once nothing is starting.
    const outdated = pods.filter((p) => p.metadata?.labels?.[TEMPLATE_HASH_LABEL] !== hash && !p.metadata?.deletionTimestamp);
    const starting = members.some((m) => m.state === 'starting');
    const rolling = outdated.some((p) => p.metadata?.annotations?.[DRAINING_ANNOTATION] !== undefined);
    if (!starting && !rolling && plan.drain.length === 0) {
      const victim = members.find((m) => m.state === 'ready' && !m.hostsOrigin && outdated.some((p) => p.metadata!.name === m.id));
      if (victim) {
        plan.drain.push(victim.id);
        plan.create = Math.max(plan.create, 1);
        this.#log.info({ pod: victim.id }, 'replacing a pod of an outdated template');
      }
    }

    for (const id of plan.undrain) {
      await this.#mark(id, null);
      this.#event(podRef(id, this.#o.namespace), 'Normal', 'NodeUndrained', `${id} takes streams again: the fleet needs ${plan.want} nodes`);
      this.#d.metrics.decisions.inc({ decision: 'node_undrained' });
    }
    for (let i = 0; i < plan.create; i++) {
      const pod = sfuPod(template, podName(this.#o.templateName));
      await this.#api.createNamespacedPod({ namespace: this.#o.namespace, body: pod });
      this.#expected.set(pod.metadata!.name!, now);
      this.#event(templateRef(template), 'Normal', 'NodeCreated', `created ${pod.metadata!.name}: the fleet needs ${plan.want} nodes`);
      this.#d.metrics.decisions.inc({ decision: 'node_created' });
    }
    for (const id of plan.drain) {
      await this.#mark(id, rfc3339(new Date(now)));
      this.#event(podRef(id, this.#o.namespace), 'Normal', 'NodeDraining', `${id} drains: the fleet needs ${plan.want} nodes; it goes once its viewers have left`);
      this.#d.metrics.decisions.inc({ decision: 'node_draining' });
    }
    for (const id of plan.remove) {
      const consumers = nodes.get(id)?.consumers ?? 0;
      await this.#delete(id);
      const why = consumers === 0 ? 'drained' : `drain grace of ${this.#o.policy.drainGraceMs} ms ran out with ${consumers} consumers`;
      this.#event(templateRef(template), 'Normal', 'NodeRemoved', `deleted ${id}: ${why}`);
      this.#d.metrics.decisions.inc({ decision: 'node_removed' });
    }

    const count = (state: string) => members.filter((m) => m.state === state).length;
    for (const state of ['starting', 'ready', 'draining']) this.#d.metrics.fleetNodes.set({ state }, count(state));
    const busy = plan.create > 0 || count('starting') > 0 || count('draining') > 0 || this.#oversizedSince !== undefined;
    return { requeueAfterMs: busy ? Math.min(this.#o.pollMs, 2_000) : this.#o.pollMs };
  }

  async #podTemplate(): Promise<V1PodTemplate> {
    // Read, not watched: RBAC can then name the one template (get with resourceNames).
    if (this.#template && Date.now() - this.#template.at < 10_000) return this.#template.value;
    const value = await this.#api.readNamespacedPodTemplate({ name: this.#o.templateName, namespace: this.#o.namespace });
    this.#template = { at: Date.now(), value };
    return value;
  }

  async #mark(pod: string, since: string | null): Promise<void> {
    this.#marks.set(pod, since);
    try {
      await this.#api.patchNamespacedPod({ name: pod, namespace: this.#o.namespace, body: { metadata: { annotations: { [DRAINING_ANNOTATION]: since } } } }, merge);
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
    }
    this.#d.nodeChanged(pod);
  }

  async #delete(pod: string): Promise<void> {
    try {
      await this.#api.deleteNamespacedPod({ name: pod, namespace: this.#o.namespace });
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
    }
    this.#d.nodeChanged(pod);
  }

  #event(obj: Parameters<EventRecorder['record']>[0], type: EventType, reason: EventReason, message: string): void {
    this.#d.events.record(obj, type, reason, message);
    this.#log[type === 'Warning' ? 'warn' : 'info']({ reason }, message);
  }
}

function podRef(pod: V1Pod | string, namespace?: string) {
  if (typeof pod === 'string') return { apiVersion: 'v1', kind: 'Pod', metadata: { name: pod, namespace } };
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: pod.metadata!.name!, namespace: pod.metadata!.namespace, uid: pod.metadata!.uid } };
}

function templateRef(t: V1PodTemplate) {
  return { apiVersion: 'v1', kind: 'PodTemplate', metadata: { name: t.metadata!.name!, namespace: t.metadata!.namespace, uid: t.metadata!.uid } };
}
