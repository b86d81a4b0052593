// Plays kubelet for one Pod: the test control plane has no scheduler or kubelet, so Pods stay
// Pending forever unless a test writes the status a kubelet would.
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Pod } from '@kubernetes/client-node';

export interface MarkPodRunningOptions {
  /** Defaults to 127.0.0.1, where every test "node" lives. */
  hostIP?: string;
}

export async function markPodRunning(
  kc: KubeConfig,
  namespace: string,
  name: string,
  podIP: string,
  opts: MarkPodRunningOptions = {},
): Promise<V1Pod> {
  const api = kc.makeApiClient(CoreV1Api);
  const pod = await api.readNamespacedPod({ name, namespace });
  // metav1.Time is whole seconds; send the RFC 3339 form the apiserver itself writes.
  const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d+Z$/, 'Z');
  const now = rfc3339(new Date());
  const hostIP = opts.hostIP ?? '127.0.0.1';
  const condition = (type: string) => ({ type, status: 'True', lastTransitionTime: now });
  const status = {
    phase: 'Running',
    hostIP,
    podIP,
    podIPs: [{ ip: podIP }],
    startTime: pod.status?.startTime ? rfc3339(new Date(pod.status.startTime)) : now,
    conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(condition),
    // Readiness checks (e.g. EndpointSlice logic, operators) look at containers too.
    containerStatuses: pod.spec?.containers.map((c) => ({
      name: c.name,
      image: c.image ?? '',
      imageID: '',
      ready: true,
      started: true,
      restartCount: 0,
      state: { running: { startedAt: now } },
    })),
  };
  // A merge patch replaces the lists wholesale, which is what a kubelet's status update does.
  return api.patchNamespacedPodStatus(
    { name, namespace, body: { status } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}
