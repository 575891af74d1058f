/**
 * Espruino clock: Date.now() and setTimeout/clearTimeout.
 *
 * Espruino has no monotonic clock API: Date.now() (like getTime()) jumps when
 * the time is set (setTime, SNTP). In the core/full profiles now() keeps an
 * offset so it never goes backwards (a forward jump counts as elapsed time:
 * at worst a keepalive check runs early). The tiny profile uses Date.now()
 * as is: "monotonic enough" unless the application sets the time backwards.
 */
import { CORE } from "../../features";
import type { Clock } from "../hal";

export function espruinoClock(): Clock {
  return {
    now: CORE ? monotonicNow() : Date.now,

    // Native, ignores `this`; ms < 0 behaves as 0.
    setTimer: setTimeout as any,
    clearTimer: function (h: any) {
      // clearTimeout(undefined) clears EVERY timer on Espruino, and the id of
      // a timer that already fired throws "Unknown Timeout".
      try {
        if (h) clearTimeout(h);
      } catch (e) {}
    },
  };
}

function monotonicNow(): () => number {
  var last = 0;
  var off = 0;
  return function () {
    var t = Date.now() + off;
    if (t < last) {
      off += last - t;
      t = last;
    }
    return (last = t);
  };
}
