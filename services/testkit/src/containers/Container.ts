// A container started from one of the project's images, attached so the test sees its output.
import type { ChildProcess } from 'node:child_process';
import { Podman, type ContainerSpec } from './Podman.ts';

export interface ContainerStartOptions extends ContainerSpec {
  name: string;
  /** Resolves start() once stdout matches; the first capture group is returned by `match`. */
  readyLine?: RegExp;
  /** Resolves start() once GET answers 200. */
  readyUrl?: string;
  timeoutMs?: number;
}

export class Container {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  /** The readyLine's first capture group. */
  match: string | undefined;
  #output = '';

  private constructor(name: string, child: ChildProcess) {
    this.name = name;
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const keep = (chunk: Buffer): void => {
      this.#output = (this.#output + chunk.toString()).slice(-20_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
  }

  /** What the container printed, the last 20 kB. */
  get output(): string {
    return this.#output;
  }

  static async start(o: ContainerStartOptions): Promise<Container> {
    const c = new Container(o.name, Podman.spawn(o));
    try {
      await c.#ready(o);
    } catch (err) {
      await Podman.remove(o.name);
      throw new Error(`${(err as Error).message}\n--- ${o.name} printed:\n${c.output}`);
    }
    return c;
  }

  async #ready(o: ContainerStartOptions): Promise<void> {
    const deadline = Date.now() + (o.timeoutMs ?? 60_000);
    let exitCode: number | null | undefined;
    void this.exited.then((code) => (exitCode = code));
    while (Date.now() < deadline) {
      if (exitCode !== undefined) throw new Error(`${o.name} exited with ${exitCode} before it was ready`);
      if (o.readyLine) {
        const m = o.readyLine.exec(this.#output);
        if (m) {
          this.match = m[1];
          if (!o.readyUrl) return;
        }
      }
      if (o.readyUrl && (!o.readyLine || this.match !== undefined)) {
        const ok = await fetch(o.readyUrl, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false);
        if (ok) return;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${o.name} was not ready within ${o.timeoutMs ?? 60_000} ms`);
  }

  /** SIGTERM through podman: the service shuts down as it would in a pod. */
  async stop(timeoutMs = 20_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const code = await Promise.race([this.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs))]);
    if (code === 'timeout') {
      await Podman.remove(this.name);
      return this.exited;
    }
    return code;
  }

  /** SIGKILL: the host dies. */
  async kill(): Promise<number | null> {
    await Podman.remove(this.name);
    return this.exited;
  }
}
