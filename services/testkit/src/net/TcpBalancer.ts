// A Kubernetes Service as far as a client can tell: TCP passed through to one of the backends
// the caller lists at that moment, no affinity, each new connection starting one further along
// the rotation, and a backend that refuses (a killed pod) skipped for the next one.
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Backend {
  host: string;
  port: number;
}

export class TcpBalancer {
  readonly host: string;
  readonly port: number;
  readonly #server: Server;
  readonly #backends: () => Backend[];
  #next = 0;

  private constructor(server: Server, host: string, port: number, backends: () => Backend[]) {
    this.#server = server;
    this.host = host;
    this.port = port;
    this.#backends = backends;
  }

  /** Listens on host:port (0: any free port); `backends` is asked on every new connection. */
  static async start(backends: () => Backend[], host = '127.0.0.1', port = 0): Promise<TcpBalancer> {
    let balancer: TcpBalancer | undefined;
    const server = createServer((client) => balancer!.#forward(client, backends()));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, resolve);
    });
    balancer = new TcpBalancer(server, host, (server.address() as { port: number }).port, backends);
    return balancer;
  }

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #forward(client: Socket, backends: Backend[], tried = 0): void {
    if (tried >= backends.length) return void client.destroy();
    const target = backends[this.#next++ % backends.length]!;
    client.pause();
    const upstream = connect(target.port, target.host);
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
    upstream.once('error', () => this.#forward(client, backends, tried + 1));
  }
}
