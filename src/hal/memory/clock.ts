/**
 * A virtual clock: time moves only when the test says so, timers run in a
 * fixed order. Deterministic tests and the simulator run on it.
 */
import type { Clock } from "../hal";

export interface VirtualClock extends Clock {
  /**
   * Move time forward by `ms` (>= 0), running every timer that falls due on
   * the way in due-time order (ties: in the order they were set). Timers set
   * by those callbacks run too when they fall due within the window. Time
   * steps to each timer's due time before its callback runs, so `now()`
   * inside a callback is its due time. Returns how many timers ran.
   */
  advance(ms: number): number;
  /** Advance to the absolute time `t` (no-op if `t <= now()`). */
  advanceTo(t: number): number;
  /** Jump to the next pending timer and run it (and any due at the same time). Returns false if none. */
  runNext(): boolean;
  /** Run timers until none is pending, at most `limit` callbacks (guards against a timer loop). */
  runAll(limit?: number): number;
  /** Number of pending timers. */
  pending(): number;
  /** Due time of the earliest pending timer, or Infinity. */
  nextDue(): number;
}

interface Timer {
  due: number;
  seq: number;
  fn: () => void;
}

export function virtualClock(start = 0): VirtualClock {
  let now = start;
  let seq = 0;
  // Kept sorted by (due, seq); pending timer counts are small.
  const timers: Timer[] = [];

  const insert = (t: Timer) => {
    let i = timers.length;
    while (i > 0 && (timers[i - 1].due > t.due || (timers[i - 1].due === t.due && timers[i - 1].seq > t.seq))) i--;
    timers.splice(i, 0, t);
  };

  const runUntil = (target: number): number => {
    let ran = 0;
    while (timers.length && timers[0].due <= target) {
      const t = timers.shift()!;
      if (t.due > now) now = t.due;
      ran++;
      t.fn();
    }
    if (target > now) now = target;
    return ran;
  };

  const clock: VirtualClock = {
    now: () => now,
    setTimer(fn, ms) {
      const t: Timer = { due: now + (ms > 0 ? ms : 0), seq: seq++, fn };
      insert(t);
      return t;
    },
    clearTimer(h) {
      const i = timers.indexOf(h as Timer);
      if (i >= 0) timers.splice(i, 1);
    },
    advance(ms) {
      if (!(ms >= 0)) throw new RangeError("advance(" + ms + ")");
      return runUntil(now + ms);
    },
    advanceTo(t) {
      return runUntil(t > now ? t : now);
    },
    runNext() {
      if (!timers.length) return false;
      runUntil(timers[0].due);
      return true;
    },
    runAll(limit = 100000) {
      let ran = 0;
      while (timers.length) {
        if (ran >= limit) throw new Error("virtualClock.runAll: more than " + limit + " timers (a timer loop?)");
        const t = timers.shift()!;
        if (t.due > now) now = t.due;
        ran++;
        t.fn();
      }
      return ran;
    },
    pending: () => timers.length,
    nextDue: () => (timers.length ? timers[0].due : Infinity),
  };
  return clock;
}
