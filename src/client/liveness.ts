/**
 * The battery-aware keepalive policy (plugs into the client's KeepalivePolicy
 * seam, src/client/keepalive.ts). Radio time is what drains a sensor, so it
 * pings only when nothing else already proves the link:
 *
 * - Anything sent postpones the ping: the spec only asks that no more than
 *   keepalive passes between two packets the client sends [MQTT-3.1.2-23].
 *   So at most `keepalive` with nothing SENT forces a PINGREQ, which keeps the
 *   broker from dropping us at 1.5 x keepalive [MQTT-3.1.2-24].
 * - A packet that expects an answer (PUBLISH QoS > 0, PUBREL, SUBSCRIBE,
 *   UNSUBSCRIBE, PINGREQ; the client says so in `sent`) that hears nothing
 *   back within `ackTimeout` means the link is dead. A QoS 1 sensor thus gets
 *   its liveness check for free from PUBACK and never pings.
 * - A QoS 0-only sensor hears nothing back, so it pings when nothing was
 *   RECEIVED for the liveness interval (default: the keepalive; longer saves
 *   battery, shorter detects a dead link sooner).
 *
 * One deadline, recomputed lazily: the client arms one timer at `next()` and,
 * when it fires, asks `timer(now)`; traffic only updates numbers (no timer
 * churn per packet). A closed socket is the client's business (transport
 * onClose), noticed at once.
 */
import { PERSIST } from "../features";
import { KeepaliveAction, type KeepalivePolicy } from "./keepalive";

export interface Liveness extends KeepalivePolicy {
  /** ms with nothing received before a QoS 0-only client pings (0 or undefined = the keepalive) */
  _lv: number | undefined;
  /** ms an expected answer may take (10 s when given as 0 or undefined) */
  _at: number;
  /** keepalive ms, 0 = off [MQTT-3.1.2-10] */
  _ka: number;
  /** liveness interval ms in use */
  _li: number;
  /** last sent, last received */
  _ls: number;
  _lr: number;
  /** answers outstanding */
  _n: number;
  /** waiting for an answer since (the later of the first request and the last packet received) */
  _w: number;
  /** our PINGREQ sent at, -1 = none outstanding */
  _pp: number;
  /** liveness scale of the current battery band (set by applyPower) */
  _x: number;
  received(now: number, type?: number): number;
}

/**
 * `liveness`: ms with nothing received before a QoS 0-only client pings
 * (0 = the keepalive). `ackTimeout`: ms an expected answer may take
 * (default 10 s). A plain constructor, not a class: ES5 lowers a class to a
 * larger IIFE. The other fields are set by start(): before it the client
 * only writes CONNECT and reads CONNACK, which touch no answer count.
 */
export var Liveness = function (this: Liveness, liveness?: number, ackTimeout?: number) {
  var k = this;
  k._lv = liveness;
  k._at = ackTimeout || 1e4;
  k._x = 1;
} as unknown as { new (liveness?: number, ackTimeout?: number): Liveness; prototype: Liveness };

// (only the full profile ships it: the core build must not keep these assignments)
if (PERSIST) {
  var P = Liveness.prototype;

  /** A connection was accepted. `ms`: negotiated keepalive (power bands scale the liveness with `_x`). */
  P.start = function (now, ms) {
    var k = this;
    k._ka = ms;
    // (undefined x scale is NaN: the keepalive)
    k._li = (k._lv as number) * k._x || ms;
    k._ls = k._lr = k._w = now;
    k._n = 0;
    k._pp = -1;
  };

  /** A packet was written; `answer`: the broker owes a reply to it. */
  P.sent = function (now, answer) {
    this._ls = now;
    if (answer && !this._n++) this._w = now;
  };

  /**
   * A packet of `type` arrived (type unknown counts as an answer). Returns the
   * round-trip time in ms when it is the PINGRESP to our PINGREQ, else -1.
   */
  P.received = function (now, type) {
    var k = this,
      r = -1;
    k._lr = k._w = now;
    // 0x2af1: PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, PINGRESP as a bit set over
    // packet type, and bit 0 for an unknown type (undefined >> and null >> shift by 0)
    if ((0x2af1 >> type!) & 1) {
      if (k._n) k._n--;
      // (0x2001: PINGRESP or unknown)
      if (k._pp >= 0 && (0x2001 >> type!) & 1) {
        r = now - k._pp;
        k._pp = -1;
      }
    }
    return r;
  };

  P.next = function () {
    var k = this,
      d = k._n ? k._w + k._at : -1,
      p = -1;
    if (k._ka && k._pp < 0) {
      p = k._ls + k._ka;
      // an outstanding answer already proves (or disproves) the link
      if (!k._n && k._lr + k._li < p) p = k._lr + k._li;
    }
    return d < 0 || (p >= 0 && p < d) ? p : d;
  };

  P.timer = function (now) {
    var k = this,
      d: number;
    if (k._n && now >= k._w + k._at) return KeepaliveAction.DEAD;
    d = k.next();
    if (d >= 0 && now >= d) {
      // the PINGREQ about to be sent expects its PINGRESP
      k._pp = k._ls = now;
      if (!k._n++) k._w = now;
      return KeepaliveAction.PING;
    }
    return KeepaliveAction.NONE;
  };
}
