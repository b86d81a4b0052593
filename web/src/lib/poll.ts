// Live pages refresh on a timer. A hidden tab does not poll; it catches up the moment it is
// shown again. A refresh that is still running when the next starts is aborted, so a slow
// answer never overwrites a newer one.

export interface Poller {
  /** Refresh now (a filter changed), then keep the timer going. */
  refresh(): void;
  stop(): void;
}

/** `run` owns its error handling; it receives a signal that aborts when it is superseded. */
export function startPolling(run: (signal: AbortSignal) => Promise<void>, everyMs: number): Poller {
  let controller: AbortController | null = null;
  let stopped = false;
  const tick = () => {
    if (stopped || document.hidden) return;
    controller?.abort();
    const mine = (controller = new AbortController());
    run(mine.signal).catch(() => {
      // run reports its own failures; an aborted one is simply superseded.
    });
  };
  tick();
  const timer = setInterval(tick, everyMs);
  document.addEventListener('visibilitychange', tick);
  return {
    refresh: tick,
    stop() {
      stopped = true;
      clearInterval(timer);
      document.removeEventListener('visibilitychange', tick);
      controller?.abort();
    },
  };
}
