/**
 * Simulated Power and Link for tests and the simulator: state you set by
 * hand, calls recorded so a test can assert them.
 */
import type { Link, Power, WakeReason } from "../hal";

export interface SimulatedPower extends Power {
  /** Set the battery charge (0..1, or NaN for "unknown"). */
  setBattery(level: number): void;
  setWakeReason(reason: WakeReason): void;
  /** Every `deepSleep(ms)` call, in order. */
  readonly sleeps: number[];
}

export interface SimulatedPowerOptions {
  battery?: number;
  wakeReason?: WakeReason;
  /**
   * Called on `deepSleep(ms)` after it is recorded: a simulator restarts the
   * device here (on a board, execution never returns from deep sleep).
   */
  onDeepSleep?: (ms: number) => void;
}

export function simulatedPower(opts: SimulatedPowerOptions = {}): SimulatedPower {
  let level = opts.battery === undefined ? 1 : opts.battery;
  let reason: WakeReason = opts.wakeReason || "power-on";
  const sleeps: number[] = [];
  return {
    sleeps,
    battery: () => level,
    setBattery(v) {
      level = v;
    },
    wakeReason: () => reason,
    setWakeReason(r) {
      reason = r;
    },
    deepSleep(ms) {
      sleeps.push(ms);
      if (opts.onDeepSleep) opts.onDeepSleep(ms);
    },
  };
}

export interface SimulatedLink extends Link {
  /** Bring the link up or down; the listener runs (synchronously) only on a change. */
  set(up: boolean): void;
  /** How many times the link changed state. */
  readonly changes: number;
}

export function simulatedLink(up = true): SimulatedLink {
  let state = up;
  let listener: ((up: boolean) => void) | undefined;
  const link = {
    changes: 0,
    isUp: () => state,
    onChange(fn: (up: boolean) => void) {
      listener = fn;
    },
    set(v: boolean) {
      if (v === state) return;
      state = v;
      link.changes++;
      if (listener) listener(v);
    },
  };
  return link;
}
