/**
 * NAT / carrier idle-timeout discovery (optional). Home routers and mobile
 * carriers forget idle TCP mappings after anything from ~30 s to hours; a
 * device that pings more often than needed wastes radio time, one that pings
 * less often is silently cut off. This learns the longest idle interval that
 * survives:
 *
 * - start at the keepalive (assumed to survive: it is what the app chose);
 * - after an idle interval that survived (the PINGREQ after it was answered),
 *   grow: x factor (1.5) until a ceiling is known, then halfway between the
 *   last good value and the ceiling (a bisection);
 * - after a silent drop (a PINGREQ after an idle interval went unanswered)
 *   back off to the last good value and mark the interval as ceiling; a drop
 *   at the good value itself (the network changed) lowers it by the factor;
 * - never beyond `max`; converged when ceiling - good <= `step` (or good is
 *   `max`): the interval then stays at the good value.
 *
 * The learned values (whole seconds) persist in the Storage record
 * "wren.nat" (5 bytes), written only when they change: a few writes until
 * convergence, then none (flash wear).
 */
import type { Storage } from "../hal/hal";

export var NAT_RECORD = "wren.nat";

export class NatProbe {
  /** longest interval known to survive, s */
  _g: number;
  /** shortest interval known to be dropped, s; 0 = none yet */
  _c = 0;
  /** interval being tried, s */
  _i: number;
  /**
   * `start`: first interval (the keepalive), s. `max`: cap, s.
   * `step`: resolution, s (default 5). `factor`: growth (default 1.5).
   */
  constructor(
    public _s: Storage | undefined,
    start: number,
    public _m: number,
    public _st: number,
    public _f: number,
  ) {
    var r = _s && _s.read(NAT_RECORD);
    this._g = start;
    if (r && r.length == 5 && r[0] == 1) {
      this._g = (r[1] << 8) | r[2];
      this._c = (r[3] << 8) | r[4];
    }
    this._i = this._g;
  }

  /** The idle interval to use now, s. */
  interval(): number {
    return this._i;
  }

  /** Learning is over: the interval no longer changes (unless a drop). */
  converged(): boolean {
    return this._g >= this._m || (this._c > 0 && this._c - this._g <= (this._st || 5));
  }

  /** An idle interval of `interval()` survived: try a longer one. */
  survived() {
    var g = this._i,
      c = this._c;
    this._set(g, c);
    if (!this.converged())
      this._i = Math.min(this._m, c ? Math.floor((g + c) / 2) : Math.ceil(g * (this._f || 1.5)));
  }

  /** The link was cut silently after an idle interval of `interval()`. */
  dropped() {
    var i = this._i,
      g = this._g;
    // a drop at the good value: the network changed, so the old knowledge is stale
    if (i <= g) g = Math.max(1, Math.floor(i / (this._f || 1.5)));
    this._set(g, i);
    this._i = g;
  }

  _set(g: number, c: number) {
    if (g == this._g && c == this._c) return;
    this._g = g;
    this._c = c;
    if (this._s) this._s.write(NAT_RECORD, new Uint8Array([1, g >> 8, g & 255, c >> 8, c & 255]));
  }
}

/** The client fields the wiring uses (see client.ts). */
interface NatClient {
  /** keepalive ms of the next CONNECT */
  _ka: number;
  /** the keepalive policy: its `_ka` is the ping interval in force, ms */
  _kp: { _ka: number; sent(now: number, a?: boolean): void; received(now: number, t?: number): unknown; timer(now: number): number };
  _h: { storage?: Storage };
  on(ev: string, fn: (a?: any) => void): unknown;
}

/**
 * Wire a NatProbe into a client (`options.natProbe`, full profile): CONNECT
 * carries `cap` s as keepalive, so the broker accepts any idle interval up to
 * it [MQTT-3.1.2-24], while the policy pings after `interval()` s with
 * nothing sent (it starts at the configured keepalive). A ping that followed
 * an idle interval (no packet either way for the interval, less `slack` ms
 * for the previous PINGRESP's trip) tests it: its PINGRESP means survived()
 * and the next ping waits longer; PING_TIMEOUT means dropped() and the
 * reconnect uses the shorter interval. Pings after traffic teach nothing.
 * The policy's methods are wrapped once (per client, not per packet).
 */
export function natWire(c: NatClient, cap: number, slack?: number): NatProbe {
  var k = c._kp,
    p = new NatProbe(c._h.storage, c._ka / 1000 || 60, cap, 0, 0),
    s = k.sent,
    r = k.received,
    t = k.timer,
    // negotiated keepalive, ms; last packet either way; the ping in flight tests an interval
    neg = 0,
    last = 0,
    test = false;
  c._ka = cap * 1000;
  function use() {
    k._ka = Math.min(neg, p.interval() * 1000);
  }
  k.sent = function (now: number, a?: boolean) {
    last = now;
    s.call(k, now, a);
  };
  k.received = function (now: number, ty?: number) {
    last = now;
    return r.call(k, now, ty);
  };
  k.timer = function (now: number) {
    var l = last,
      a = t.call(k, now);
    // 1: KeepaliveAction.PING
    if (a == 1) test = now - l + (slack == null ? 2000 : slack) >= p.interval() * 1000;
    return a;
  };
  c.on("connect", function () {
    neg = k._ka;
    use();
  });
  c.on("pingresp", function () {
    if (test) p.survived(), use();
    test = false;
  });
  c.on("error", function (e: { code: string }) {
    if (test && e.code == "PING_TIMEOUT") p.dropped();
    test = false;
  });
  return p;
}
