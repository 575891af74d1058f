/**
 * Reconnect delays: exponential backoff with jitter and a cap. Pure.
 *
 * cap(n) = min(max, min * factor^n); the delay is uniform in
 * [cap * (1 - jitter), cap]. jitter 1 is "full jitter" (uniform in [0, cap]),
 * which spreads a fleet of devices reconnecting after a broker restart.
 */
export interface BackoffOptions {
  /** First cap, ms (default 1000). */
  min?: number;
  /** Largest delay, ms (default 60000). */
  max?: number;
  /** Growth per attempt (default 2). */
  factor?: number;
  /** 0 (none) .. 1 (full, default). */
  jitter?: number;
}

/** Delay in ms before reconnect attempt `n` (0-based), with `r` uniform in [0, 1). */
export function backoff(n: number, o: BackoffOptions, r: number): number {
  var j = o.jitter,
    // min 0 times an overflowed power (Infinity) is NaN: 0
    cap = Math.min(o.max || 60000, (o.min == null ? 1000 : o.min) * Math.pow(o.factor || 2, n) || 0);
  return Math.round(cap * (1 - (j == null ? 1 : j) * r));
}
