// A long-running child process whose output goes to a log file, so a failed start can quote
// the tail instead of leaving the reader to guess.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';

// If the test process dies without close(), orphaned etcd/apiserver processes would keep
// ports and ~400 MB; kill them on the way out (only synchronous work runs in 'exit').
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export class Daemon {
  readonly name: string;
  readonly logPath: string;
  /** Resolves with a description of how the process ended. */
  readonly exited: Promise<string>;
  #child: ChildProcess;
  #exitInfo: string | undefined;

  constructor(name: string, bin: string, args: string[], logPath: string) {
    this.name = name;
    this.logPath = logPath;
    const fd = openSync(logPath, 'a');
    try {
      this.#child = spawn(bin, args, { stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    const child = this.#child;
    live.add(child);
    this.exited = new Promise((resolve) => {
      child.once('error', (err) => {
        live.delete(child);
        resolve((this.#exitInfo = `failed to spawn: ${err.message}`));
      });
      child.once('exit', (code, signal) => {
        live.delete(child);
        resolve((this.#exitInfo = signal ? `killed by ${signal}` : `exited with code ${code}`));
      });
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Undefined while running. */
  get exitInfo(): string | undefined {
    return this.#exitInfo;
  }

  async logTail(lines = 25): Promise<string> {
    const text = await readFile(this.logPath, 'utf8').catch(() => '');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** An Error naming the process, how it ended (if it did) and its log tail (the log itself
   * may be gone by the time anyone reads the message, hence the quote). */
  async failure(what: string): Promise<Error> {
    const state = this.#exitInfo ? ` (${this.#exitInfo})` : '';
    return new Error(`${this.name} ${what}${state}; ${basename(this.logPath)} ends:\n${await this.logTail()}`);
  }

  async stop(graceMs = 5_000): Promise<void> {
    if (this.#exitInfo !== undefined || this.#child.exitCode !== null) return;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
