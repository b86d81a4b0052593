// Public surface: the LiveStream API and route contract (signaling imports these), and the
// operator itself.
export * from './api/livestream.ts';
export * from '@vilokanam/contracts/routes';
export { LiveStreamClient } from './api/LiveStreamClient.ts';
export { liveStreamCrd, liveStreamCrdYaml } from './api/crd.ts';
export { operatorConfigFromEnv, type OperatorConfig } from './config.ts';
export { Operator } from './Operator.ts';
export { Informer, type InformerOptions } from './kube/Informer.ts';
export { isStatus, kubeMessage } from './kube/errors.ts';
