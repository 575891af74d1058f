/**
 * Espruino clock: Date.now() and setTimeout/clearTimeout.
 *
 * Espruino has no monotonic clock API: Date.now() (like getTime()) jumps when
 * the time is set (setTime, SNTP). now() keeps an offset so it never goes
 * backwards (a forward jump counts as elapsed time: at worst a keepalive
 * check runs early). (The tiny profile, src/tiny, uses Date.now() as is.)
 */
import type { Clock } from "../hal";

export function espruinoClock(): Clock {
  return {
    now: monotonicNow(0, 0),
    // Native, ignores `this`; ms < 0 behaves as 0.
    setTimer: setTimeout as any,
    clearTimer: clearTimer,
  };
}

function clearTimer(h: any): void {
  // clearTimeout(undefined) clears EVERY timer on Espruino, and the id of
  // a timer that already fired throws "Unknown Timeout".
  try {
    if (h) clearTimeout(h);
  } catch (e) {}
}

/** Date.now() plus an offset that grows when the time is set back. Parameters hold the state (no `var`s). */
function monotonicNow(last: number, off: number): () => number {
  return function () {
    var t = Date.now();
    if (t + off < last) off = last - t;
    return (last = t + off);
  };
}
