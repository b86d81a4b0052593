// A plain Kubernetes Service in front of signaling replicas, as far as a client can tell: TCP
// passed through, no affinity, and a backend that refuses connections (a killed pod) skipped.
// Each new connection tries the backends in rotation, starting one further than the last.
import { connect, createServer, type Server, type Socket } from 'node:net';

export class ServiceProxy {
  readonly url: string;
  readonly #server: Server;
  #backends: number[];
  #next = 0;

  private constructor(server: Server, url: string, backends: number[]) {
    this.#server = server;
    this.url = url;
    this.#backends = backends;
  }

  static async start(backends: number[]): Promise<ServiceProxy> {
    let proxy: ServiceProxy | undefined;
    const server = createServer((client) => proxy!.#forward(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    proxy = new ServiceProxy(server, `http://127.0.0.1:${port}`, backends);
    return proxy;
  }

  /** The ports of the ready replicas, as the Service's endpoints would list them. */
  set backends(ports: number[]) {
    this.#backends = [...ports];
  }

  close(): void {
    this.#server.close();
  }

  #forward(client: Socket, tried = 0): void {
    if (tried >= this.#backends.length) return void client.destroy();
    const port = this.#backends[this.#next++ % this.#backends.length]!;
    client.pause();
    const upstream = connect(port, '127.0.0.1');
    upstream.once('connect', () => {
      upstream.removeAllListeners('error');
      client.pipe(upstream).pipe(client);
      client.resume();
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.once('error', end).once('close', end);
      upstream.once('error', end).once('close', end);
    });
    upstream.once('error', () => this.#forward(client, tried + 1));
  }
}
