// CPU and memory of processes from /proc, for benchmark figures.
import { readFileSync, readdirSync } from 'node:fs';

const CLK_TCK = 100;

export interface ProcStat {
  name: string;
  ppid: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
  /** stime alone: time in the kernel on the process's behalf (sendmsg, recvmsg, epoll). */
  systemTicks: number;
  rss: number;
}

export function procStat(pid: number): ProcStat {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { name, ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]), systemTicks: Number(fields[12]), rss: Number(fields[21]) * 4096 };
}

/** mediasoup-worker children of a process; `valgrind` also counts workers run under callgrind. */
export function workersOf(pid: number, opts: { valgrind?: boolean } = {}): number[] {
  const names = opts.valgrind ? ['mediasoup-work', 'callgrind-'] : ['mediasoup-work'];
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((p) => {
      try {
        const s = procStat(p);
        return s.ppid === pid && names.some((n) => s.name.startsWith(n));
      } catch {
        return false;
      }
    });
}

/** Percent of one core each process used over `seconds`. */
export async function sampleCpu(pids: number[], seconds: number): Promise<number[]> {
  return (await sampleCpuSplit(pids, seconds)).map((c) => c.total);
}

/** Percent of one core each process used over `seconds`, in total and in the kernel. */
export async function sampleCpuSplit(pids: number[], seconds: number): Promise<{ total: number; system: number }[]> {
  const before = pids.map((p) => procStat(p));
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const elapsed = (performance.now() - t0) / 1000;
  const pct = (ticks: number) => (ticks / CLK_TCK / elapsed) * 100;
  return pids.map((p, i) => {
    const after = procStat(p);
    return { total: pct(after.ticks - before[i]!.ticks), system: pct(after.systemTicks - before[i]!.systemTicks) };
  });
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);
