// Everything a process needs to drive sfu-nodes without running one: the control contract
// and its client, control auth, and the pure placement and fleet functions. Loads neither
// mediasoup nor the worker (~30 MiB RSS), so the operator imports this, not the index.
export * from './SfuControl.ts';
export { ControlAuth, ControlTokenRefused, canonicalControlUrl, type ControlIdentity, type ControlTarget } from './control/ControlAuth.ts';
export { PipeSeal, PipeSealRefused, type PipeSealSide } from './control/PipeSeal.ts';
export { RemoteSfu } from './control/RemoteSfu.ts';
export * from './placement/placement.ts';
export * from './placement/fleet.ts';
export { REPORT_CHANNEL, REPORT_KEY_PREFIX, reportChannel, reportKeyPrefix, NodeReport } from '@vilokanam/contracts/fleet';
