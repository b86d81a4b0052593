export { mediaCodecs, sfuConfigFromEnv, type SfuNodeConfig } from './config.ts';
export { preferredLayersFor, type LayerChoice } from './layers.ts';
export { registerSfuMetrics } from './metrics.ts';
export * from './SfuControl.ts';
export { SfuNode } from './SfuNode.ts';
export { StreamRouter } from './StreamRouter.ts';
export { WorkerPool, type WorkerSlot } from './WorkerPool.ts';
