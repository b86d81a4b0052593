import { EventEmitter } from 'node:events';
import type { NodeState, SfuControl, SfuNode } from '@vilokanam/sfu-node';
import type { Fleet, FleetEvents } from './Fleet.ts';

export const LOCAL_NODE_ID = 'local';

/** Embedded mode: one in-process sfu-node that takes every stream and viewer. */
export class LocalFleet extends EventEmitter<FleetEvents> implements Fleet {
  readonly #node: SfuNode;
  #consumers = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(node: SfuNode) {
    super();
    this.#node = node;
    // Load only informs placement, and with one node there is no choice to make.
    this.#timer = setInterval(() => {
      void node.load().then((l) => (this.#consumers = l.consumers), () => undefined);
    }, 2000).unref();
  }

  nodes(): NodeState[] {
    return [{ id: LOCAL_NODE_ID, ready: this.#node.pool.slots.length > 0, draining: false, capacity: Number.MAX_SAFE_INTEGER, consumers: this.#consumers }];
  }

  control(nodeId: string): SfuControl | undefined {
    return nodeId === LOCAL_NODE_ID ? this.#node : undefined;
  }

  reserve(nodeId: string, consumers: number): void {
    if (nodeId === LOCAL_NODE_ID) this.#consumers += consumers;
  }

  controls(): Map<string, SfuControl> {
    return new Map([[LOCAL_NODE_ID, this.#node]]);
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
  }
}
