import type { OverdraftMessage, ViewerSession } from '@vilokanam/contracts/ticks';

/** One indexed window: `member` is its index entry, `<sessionId>:<window>`. */
export interface IndexedWindow {
  member: string;
  sessionId: string;
  window: number;
}

export interface TickReads {
  /**
   * The unix seconds recorded per window (each once: the set holds seconds, not counts), in
   * the order asked; an empty list for a window with no ticks left.
   */
  seconds: number[][];
  /** Session per id asked; undefined when it is missing or malformed (the window is orphaned). */
  sessions: (ViewerSession | undefined)[];
}

/**
 * Where SettlementWorker reads tick windows from and reports overdrafts to. Redis
 * (RedisTickSource, the ticks.ts contract) when the media side runs in other processes;
 * MemoryTickStore in embedded mode. Implementations keep the worker's exactly-once argument:
 * `clear` is all or nothing, and a window stays indexed until it is cleared.
 */
export interface TickSource {
  /** The window index in chunks; a member may come twice, and members added meanwhile may be missed. */
  scanWindows(): AsyncIterable<string[]>;
  /** Tick seconds of the windows and the sessions named, in one round trip where that matters. */
  read(windows: readonly IndexedWindow[], sessionIds: readonly string[]): Promise<TickReads>;
  /** Deletes the windows' ticks and removes them from the index, all or nothing. */
  clear(windows: readonly IndexedWindow[]): Promise<void>;
  /** Moves members to the orphan index, ticks kept, so an operator can repair and requeue them. */
  quarantine(members: readonly string[]): Promise<void>;
  /** Tells the media side to stop these sessions (vilo:overdraft on Redis). */
  publishOverdrafts(messages: readonly OverdraftMessage[]): Promise<void>;
  /** Windows in the index now. */
  indexedWindows(): Promise<number>;
}
