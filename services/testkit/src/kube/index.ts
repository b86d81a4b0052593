export { Audience } from './Audience.ts';
export { kubeBinaries, kubeTools, type KubeBinaries, type KubeTools } from './binaries.ts';
export * from './chart.ts';
export { ControlPlane, serviceAccountUser, type ControlPlaneOptions, type Identity, type ServiceAccountRef, type StaticUser } from './ControlPlane.ts';
export { Daemon } from './Daemon.ts';
export * from './Harness.ts';
export { markPodRunning } from './markPodRunning.ts';
export { loopbackHosts, TestKubelet, type TestHost, type TestKubeletOptions } from './TestKubelet.ts';
