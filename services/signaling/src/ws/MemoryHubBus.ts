import type { HubBus } from './HubBus.ts';
import type { HubMessage, HubMessageBody } from './HubMessage.ts';

/** Embedded mode: one process is the only replica, so nothing is ever sent or heard. */
export class MemoryHubBus implements HubBus {
  readonly replicaId: string;

  constructor(replicaId: string) {
    this.replicaId = replicaId;
  }

  onMessage(_handler: (msg: HubMessage) => void): void {}

  publish(_msg: HubMessageBody): void {}

  async start(): Promise<void> {}

  async close(): Promise<void> {}
}
