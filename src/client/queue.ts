/**
 * The offline queue: publishes waiting for a connection (or for room in the
 * in-flight window), bounded by count and bytes. Whatever a bound pushes out
 * is handed to `drop` (the client reports it): nothing is lost silently.
 * Entries are plain objects holding the packet, so the queue can be saved.
 */
import type { PublishPacket } from "../codec/packet";

export type Callback = (err?: Error | null, ...rest: any[]) => void;

export interface Queued {
  p: PublishPacket;
  cb?: Callback;
  /** bytes counted against the bound: topic + payload */
  n: number;
}

/** Queue policies, in the order of their option names. */
export const enum QueuePolicy {
  /** Drop the oldest entries to make room (default). */
  DROP_OLDEST = 0,
  /** Reject the new publish. */
  DROP_NEW = 1,
  /** Keep only the latest publish per topic; then drop the oldest. */
  LATEST = 2,
}
export const POLICIES = ["drop-oldest", "drop-new", "latest"];

export class Queue {
  /** entries, oldest first */
  _a: Queued[] = [];
  /** bytes held */
  _b = 0;
  constructor(
    public _lim: number,
    public _max: number,
    public _pol: QueuePolicy,
    public _drop: (e: Queued) => void,
  ) {}

  /** Add `e` at the end; false if `e` itself was dropped (already reported). */
  add(e: Queued): boolean {
    var a = this._a,
      i: number;
    if (this._pol == QueuePolicy.LATEST)
      for (i = 0; i < a.length; i++)
        if (a[i].p.topic == e.p.topic) {
          this._b -= a[i].n;
          this._drop(a.splice(i, 1)[0]);
          break;
        }
    while (a.length >= this._lim || this._b + e.n > this._max) {
      // drop-new, or nothing left to push out, or too big for the queue at all
      if (this._pol == QueuePolicy.DROP_NEW || !a.length || e.n > this._max) {
        this._drop(e);
        return false;
      }
      this._drop(this.shift()!);
    }
    a.push(e);
    this._b += e.n;
    return true;
  }

  /** The oldest entry, removed. */
  shift(): Queued | undefined {
    var e = this._a.shift();
    if (e) this._b -= e.n;
    return e;
  }
}
