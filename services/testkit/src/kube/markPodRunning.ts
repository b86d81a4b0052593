// Plays kubelet for one Pod: the test control plane has no scheduler or kubelet, so Pods stay
// Pending forever unless a test writes the status a kubelet would.
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Pod } from '@kubernetes/client-node';

export interface MarkPodRunningOptions {
  /** Defaults to 127.0.0.1, where every test "node" lives. */
  hostIP?: string;
}

export interface PodState {
  podIP: string;
  hostIP: string;
  phase: 'Running' | 'Succeeded' | 'Failed';
  ready: boolean;
  restartCount?: number;
  /** For a finished container. */
  exitCode?: number;
}

// metav1.Time is whole seconds; send the RFC 3339 form the apiserver itself writes.
const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d+Z$/, 'Z');

/** The status a kubelet reports for a pod with one container in `state`. */
export function podStatus(pod: V1Pod, state: PodState): Record<string, unknown> {
  const now = rfc3339(new Date());
  const running = state.phase === 'Running';
  const condition = (type: string, ok: boolean) => ({ type, status: ok ? 'True' : 'False', lastTransitionTime: now });
  const previous = new Map((pod.status?.conditions ?? []).map((c) => [c.type, c]));
  // A condition keeps its transition time unless its status changes, as the kubelet does.
  const keep = (type: string, ok: boolean) => {
    const prev = previous.get(type);
    return prev && prev.status === (ok ? 'True' : 'False') && prev.lastTransitionTime ? { type, status: prev.status, lastTransitionTime: rfc3339(new Date(prev.lastTransitionTime)) } : condition(type, ok);
  };
  const ready = running && state.ready;
  return {
    phase: state.phase,
    hostIP: state.hostIP,
    podIP: state.podIP,
    podIPs: [{ ip: state.podIP }],
    startTime: pod.status?.startTime ? rfc3339(new Date(pod.status.startTime)) : now,
    conditions: [keep('Initialized', true), keep('Ready', ready), keep('ContainersReady', ready), keep('PodScheduled', true)],
    // Readiness checks (e.g. EndpointSlice logic, operators) look at containers too.
    containerStatuses: pod.spec?.containers.map((c) => ({
      name: c.name,
      image: c.image ?? '',
      imageID: '',
      ready,
      started: running,
      restartCount: state.restartCount ?? 0,
      state: running ? { running: { startedAt: now } } : { terminated: { exitCode: state.exitCode ?? 0, finishedAt: now, reason: state.exitCode ? 'Error' : 'Completed' } },
    })),
  };
}

/** Writes a kubelet's status for the pod. A merge patch replaces the lists wholesale, as a kubelet's status update does. */
export async function writePodStatus(api: CoreV1Api, namespace: string, name: string, state: PodState): Promise<V1Pod> {
  const pod = await api.readNamespacedPod({ name, namespace });
  return api.patchNamespacedPodStatus(
    { name, namespace, body: { status: podStatus(pod, state) } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

export async function markPodRunning(
  kc: KubeConfig,
  namespace: string,
  name: string,
  podIP: string,
  opts: MarkPodRunningOptions = {},
): Promise<V1Pod> {
  return writePodStatus(kc.makeApiClient(CoreV1Api), namespace, name, { podIP, hostIP: opts.hostIP ?? '127.0.0.1', phase: 'Running', ready: true });
}
