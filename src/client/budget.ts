/**
 * The link budget: bytes and packets sent and received per day, and an
 * optional daily byte budget for metered links (cellular, LoRa gateways,
 * prepaid SIMs). When a publish would exceed the budget, QoS 0 telemetry is
 * dropped, or coalesced (latest per topic, sent when the next day opens the
 * budget again); QoS 1/2 always goes (the app asked for delivery). The client
 * reports each dropped or superseded publish with BUDGET_EXCEEDED.
 *
 * Days come from the clock: day n is [n * 24 h - offset, (n + 1) * 24 h - offset)
 * of `Clock.now()`; `offset` aligns it with local midnight if the app knows it.
 */
import { isStr, wrenError } from "../errors";
import { utf8Length } from "../codec/utf8";
import { TOPIC_ALIASES } from "../entry/board";
import type { Clock, Connection, Transport } from "../hal/hal";

var DAY = 864e5;

/** A publish held back or dropped by the budget: what `publish` was called with. */
export interface Held {
  topic: string;
  payload?: string | Uint8Array;
  opts?: unknown;
  cb?: (err?: Error | null) => void;
}

export const enum BudgetPolicy {
  DROP = 0,
  LATEST = 1,
}

export class Budget {
  /** today: bytes sent, bytes received, packets sent, packets received */
  tx = 0;
  rx = 0;
  ptx = 0;
  prx = 0;
  /** current day number */
  day = 0;
  /** publishes held (LATEST policy), by topic */
  _h: { [topic: string]: Held } = {};
  /**
   * `limit`: bytes per day (sent + received), 0 = unlimited.
   * `policy`: what happens to QoS 0 publishes over the limit. `offset`: ms.
   */
  constructor(
    public _l: number,
    public _p: BudgetPolicy,
    public _o: number,
  ) {}

  /** Roll the day over if `now` is past it; true when a new day began (counters reset). */
  roll(now: number): boolean {
    var d = Math.floor((now + this._o) / DAY);
    if (d == this.day) return false;
    this.day = d;
    this.tx = this.rx = this.ptx = this.prx = 0;
    return true;
  }

  /** `n` bytes holding `pk` packets were written. */
  sent(now: number, n: number, pk: number) {
    this.roll(now);
    this.tx += n;
    this.ptx += pk;
  }

  /** `n` bytes holding `pk` packets were read. */
  received(now: number, n: number, pk: number) {
    this.roll(now);
    this.rx += n;
    this.prx += pk;
  }

  /** May a publish of `n` bytes at `qos` go now? */
  allow(now: number, qos: number, n: number): boolean {
    this.roll(now);
    return qos > 0 || !this._l || this.tx + this.rx + n <= this._l;
  }

  /**
   * A QoS 0 publish `p` was refused by `allow`. LATEST: hold it and return the
   * publish it supersedes (if any); DROP: return `p`. What is returned is
   * lost: the client reports it.
   */
  refuse(p: Held): Held | undefined {
    if (this._p != BudgetPolicy.LATEST) return p;
    var old = this._h[p.topic];
    this._h[p.topic] = p;
    return old;
  }

  /** Take the held publishes (call when `roll` reports a new day). */
  take(): Held[] {
    var a: Held[] = [],
      t: string;
    for (t in this._h) a.push(this._h[t]);
    this._h = {};
    return a;
  }
}

/**
 * Counts MQTT packets in a byte stream split anywhere: skips bodies in bulk,
 * parses only fixed headers (type byte + remaining length [MQTT-2.2.3]).
 * Returns a function: chunk -> packets completed in it (headers complete).
 */
function framer(): (d: Uint8Array) => number {
  var rem = 0,
    hs = 0,
    len = 0,
    mul = 1;
  return function (d) {
    var n = 0,
      i = 0,
      x: number;
    while (i < d.length)
      if (rem) {
        x = Math.min(rem, d.length - i);
        rem -= x;
        i += x;
      } else if (!hs) {
        hs = 1;
        len = 0;
        mul = 1;
        i++;
      } else {
        x = d[i++];
        len += (x & 127) * mul;
        mul *= 128;
        if (x < 128) {
          hs = 0;
          rem = len;
          n++;
        }
      }
    return n;
  };
}

/**
 * Wrap a Transport so every byte written to and read from it is counted in
 * `b` (with packet counts): the figures are those of the wire, whatever the
 * client does. Use the result as `hal.transport`.
 */
export function meter(t: Transport, b: Budget, clock: Clock): Transport {
  return {
    connect: function (target, h) {
      var fo = framer(),
        fi = framer(),
        c: Connection = t.connect(target, {
          onOpen: function () {
            h.onOpen();
          },
          onData: function (d) {
            b.received(clock.now(), d.length, fi(d));
            h.onData(d);
          },
          onClose: function (e) {
            h.onClose(e);
          },
        });
      return {
        write: function (d) {
          b.sent(clock.now(), d.length, fo(d));
          c.write(d);
        },
        end: function () {
          c.end();
        },
        destroy: function () {
          c.destroy();
        },
      };
    },
  };
}

interface PubClient {
  _v: number;
  /** 5.0: this connection's topic aliases (client.ts), and the server's maximum */
  _oa?: string[] | 0 | false;
  _cp?: { topicAliasMaximum?: number };
  _h: { clock: Clock };
  publish(topic: string, payload: string | Uint8Array, opts?: any, cb?: any): any;
  emit(ev: string, ...a: any[]): boolean;
}

/**
 * Put `client.publish` under the daily budget: a QoS 0 publish that would
 * exceed it is dropped or held (policy LATEST: newest per topic, published
 * with the first publish of the next day); each lost one is reported with
 * BUDGET_EXCEEDED to its callback (else the `error` event) and a `drop`
 * event. QoS 1/2 always go.
 */
export function guard(client: PubClient, b: Budget): void {
  var c = client,
    pub = c.publish;
  c.publish = function (topic: string, payload: string | Uint8Array, opts?: any, cb?: any) {
    var now = c._h.clock.now(),
      a: Held[],
      h: Held | undefined,
      e: Error,
      n: number,
      i: number,
      t = c._oa,
      k = t ? t.indexOf(topic) + 1 : 0;
    if (typeof opts == "function") {
      cb = opts;
      opts = 0;
    }
    opts = opts || {};
    if (b.roll(now)) for (a = b.take(), i = 0; i < a.length; i++) pub.call(c, a[i].topic, a[i].payload!, a[i].opts, a[i].cb);
    // the PUBLISH size: fixed header + topic + [id] + [5.0 properties length] + payload;
    // 5.0 topic aliases (if it went now): an aliased topic goes empty, with its alias (3
    // bytes), as does a new topic while aliases are left (the server's maximum, at most TOPIC_ALIASES)
    n = 2 + (k ? 0 : utf8Length(topic)) + (opts.qos ? 2 : 0) + (c._v == 5 ? 1 : 0) + (t && (k || (t.length < c._cp!.topicAliasMaximum! && !t[TOPIC_ALIASES - 1])) ? 3 : 0) + (isStr(payload) ? utf8Length(payload) : payload.length);
    n += n < 128 ? 2 : n < 16384 ? 3 : n < 2097152 ? 4 : 5;
    if (b.allow(now, opts.qos || 0, n)) return pub.call(c, topic, payload, opts, cb);
    h = b.refuse({ topic: topic, payload: payload, opts: opts, cb: cb });
    if (h) {
      e = wrenError("BUDGET_EXCEEDED", h.topic);
      if (h.cb) h.cb(e);
      else c.emit("error", e);
      c.emit("drop", h, e);
    }
    return c;
  };
}
