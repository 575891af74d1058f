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

/** Queue policies (options.queue.policy: "drop-new" 1, "latest" 2, anything else drop-oldest). */
export const enum QueuePolicy {
  /** Drop the oldest entries to make room (default). */
  DROP_OLDEST = 0,
  /** Reject the new publish. */
  DROP_NEW = 1,
  /** Keep only the latest publish per topic; then drop the oldest. */
  LATEST = 2,
}

export interface Queue {
  /** entries, oldest first */
  _a: Queued[];
  /** bytes held */
  _b: number;
  _lim: number;
  _max: number;
  _pol: QueuePolicy;
  _drop: (e: Queued) => void;
  /** Add `e` at the end; false if `e` itself was dropped (already reported). */
  add(e: Queued): boolean;
  /** The oldest entry, removed. */
  shift(): Queued | undefined;
}

/** A plain constructor, not a class: ES5 lowers a class to a larger IIFE. */
export var Queue = function (this: Queue, lim: number, max: number, pol: QueuePolicy, drop: (e: Queued) => void) {
  var q = this;
  q._a = [];
  q._b = 0;
  q._lim = lim;
  q._max = max;
  q._pol = pol;
  q._drop = drop;
} as unknown as { new (lim: number, max: number, pol: QueuePolicy, drop: (e: Queued) => void): Queue; prototype: Queue };

Queue.prototype.add = function (e) {
  var q = this,
    a = q._a,
    i = 0,
    d: Queued[] = [],
    x: any;
  // what goes is taken out first and reported last: a drop callback that throws
  // cannot lose `e` or leave the queue over its bounds
  if (q._pol == QueuePolicy.LATEST)
    for (; i < a.length; i++)
      if (a[i].p.topic == e.p.topic) {
        q._b -= a[i].n;
        d.push(a.splice(i, 1)[0]);
        break;
      }
  while (a.length >= q._lim || q._b + e.n > q._max) {
    // drop-new, or nothing left to push out, or too big for the queue at all
    if (q._pol == QueuePolicy.DROP_NEW || !a[0] || e.n > q._max) {
      d.push(e);
      e = 0 as any;
      break;
    }
    d.push(q.shift()!);
  }
  if (e) a.push(e), (q._b += e.n);
  // each reported once: one that throws stops neither the others nor add(), rethrown last
  while ((i = d.shift() as any))
    try {
      q._drop(i as any);
    } catch (y) {
      x = x || [y];
    }
  if (x) throw x[0];
  return !!e;
};

Queue.prototype.shift = function () {
  var e = this._a.shift();
  if (e) this._b -= e.n;
  return e;
};
