// What other workspaces (signaling) import: the LiveStream API and the route contract,
// without pulling in the operator's controllers.
export * from './livestream.ts';
export * from '@vilokanam/contracts/routes';
export { LiveStreamClient } from './LiveStreamClient.ts';
export { isStatus, kubeMessage } from '../kube/errors.ts';
