import { EventEmitter } from 'node:events';
import { topicName, type BusEnvelope, type BusTopic, type ChatBus } from './ChatBus.ts';

/**
 * The in-process bus of embedded mode. Instances made from one `hub` hear each other, as
 * instances on one Redis do; delivery is asynchronous and in publish order, as Redis's is.
 */
export class MemoryChatBus implements ChatBus {
  readonly #hub: EventEmitter;
  readonly #topics = new Set<string>();
  #handler: (e: BusEnvelope) => void = () => undefined;
  readonly #listener = (name: string, envelope: BusEnvelope): void => {
    // A copy, so no subscriber can change what another one sees.
    if (this.#topics.has(name)) this.#handler(structuredClone(envelope));
  };

  constructor(hub: EventEmitter = new EventEmitter()) {
    this.#hub = hub;
    this.#hub.setMaxListeners(0);
    this.#hub.on('envelope', this.#listener);
  }

  /** Another bus on the same hub: a second "instance" in one process. */
  sibling(): MemoryChatBus {
    return new MemoryChatBus(this.#hub);
  }

  async publish(topic: BusTopic, envelope: BusEnvelope): Promise<void> {
    const name = topicName('', topic);
    queueMicrotask(() => this.#hub.emit('envelope', name, envelope));
  }

  async subscribe(topic: BusTopic): Promise<void> {
    this.#topics.add(topicName('', topic));
  }

  async unsubscribe(topic: BusTopic): Promise<void> {
    this.#topics.delete(topicName('', topic));
  }

  onEnvelope(handler: (envelope: BusEnvelope) => void): void {
    this.#handler = handler;
  }

  async close(): Promise<void> {
    this.#hub.off('envelope', this.#listener);
    this.#topics.clear();
  }
}
