// The informer's LiveStreams, overlaid with what this process itself just wrote (client-go's
// MutationCache): right after a status write the watch has not delivered it yet, and deciding
// from the older copy would only earn a 409 and a retry.
import type { LiveStream } from '../api/livestream.ts';
import type { Informer } from '../kube/Informer.ts';

// etcd resourceVersions are integers in practice; anything else is treated as unordered.
function newer(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return BigInt(a) > BigInt(b);
}

export const streamKey = (namespace: string, name: string) => `${namespace}/${name}`;

export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export class LiveStreamCache {
  readonly #informer: Informer<LiveStream>;
  readonly #written = new Map<string, LiveStream>();

  constructor(informer: Informer<LiveStream>) {
    this.#informer = informer;
    const settle = (obj: LiveStream) => {
      const key = streamKey(obj.metadata.namespace, obj.metadata.name);
      const mine = this.#written.get(key);
      if (mine && !newer(mine.metadata.resourceVersion, obj.metadata.resourceVersion)) this.#written.delete(key);
    };
    informer.on('add', settle);
    informer.on('update', settle);
    informer.on('delete', (obj) => this.#written.delete(streamKey(obj.metadata.namespace, obj.metadata.name)));
  }

  get(key: string): LiveStream | undefined {
    const { namespace, name } = splitKey(key);
    const cached = this.#informer.get(name, namespace);
    const mine = this.#written.get(key);
    if (!cached) return undefined;
    return mine && mine.metadata.uid === cached.metadata.uid && newer(mine.metadata.resourceVersion, cached.metadata.resourceVersion) ? mine : cached;
  }

  /** Records an object the apiserver returned from this process's write. */
  wrote(obj: LiveStream): void {
    this.#written.set(streamKey(obj.metadata.namespace, obj.metadata.name), obj);
  }

  list(): LiveStream[] {
    return this.#informer.list().map((o) => this.get(streamKey(o.metadata.namespace, o.metadata.name)) ?? o);
  }

  clear(): void {
    this.#written.clear();
  }
}
