/** Node clock: monotonic milliseconds and real timers. */
import { performance } from "node:perf_hooks";
import type { Clock } from "../hal";

/**
 * `now()` is `performance.now()`: monotonic (CLOCK_MONOTONIC underneath, as
 * `process.hrtime`), immune to wall-clock changes, ms with a fraction.
 * Timers are Node's setTimeout/clearTimeout.
 */
export function monotonicClock(): Clock {
  return {
    now: () => performance.now(),
    setTimer: (fn, ms) => setTimeout(fn, ms > 0 ? ms : 0),
    clearTimer: (h) => {
      if (h) clearTimeout(h as ReturnType<typeof setTimeout>);
    },
  };
}
