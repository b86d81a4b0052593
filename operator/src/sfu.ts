// What the operator uses from @vilokanam/sfu-node: the pure placement and fleet functions, the
// control-channel client and the load-report format. Imported by file rather than through the
// package index, which also loads mediasoup (~30 MiB RSS per replica) for a process that never
// runs a worker. If sfu-node gains subpath exports (e.g. "./placement", "./control"), only this
// file changes.
export * from '../../sfu-node/src/placement/placement.ts';
export * from '../../sfu-node/src/placement/fleet.ts';
export { RemoteSfu } from '../../sfu-node/src/control/RemoteSfu.ts';
export { ControlAuth } from '../../sfu-node/src/control/ControlAuth.ts';
export { reportChannel, reportKeyPrefix, type NodeReport } from '../../sfu-node/src/LoadReporter.ts';
export type { StreamLoad } from '../../sfu-node/src/SfuControl.ts';
