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
import { KeepaliveAction, KeepalivePolicy } from "./keepalive";

/** PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, PINGRESP as a bit set over packet type. */
var ANSWERS = 0x2af0;

export class Liveness implements KeepalivePolicy {
  /** keepalive ms, 0 = off [MQTT-3.1.2-10] */
  _ka = 0;
  /** liveness interval ms in use */
  _li = 0;
  /** last sent, last received */
  _ls = 0;
  _lr = 0;
  /** answers outstanding */
  _n = 0;
  /** waiting for an answer since (the later of the first request and the last packet received) */
  _w = 0;
  /** our PINGREQ sent at, -1 = none outstanding */
  _pp = -1;
  /** liveness scale of the current battery band (set by applyPower) */
  _x = 1;
  /**
   * `liveness`: ms with nothing received before a QoS 0-only client pings
   * (0 = the keepalive). `ackTimeout`: ms an expected answer may take
   * (default 10 s).
   */
  constructor(
    public _lv: number,
    public _at: number,
  ) {}

  /** A connection was accepted. `ms`: negotiated keepalive (power bands scale the liveness with `_x`). */
  start(now: number, ms: number) {
    this._ka = ms;
    this._li = this._lv * this._x || ms;
    this._ls = this._lr = this._w = now;
    this._n = 0;
    this._pp = -1;
  }

  /** A packet was written; `answer`: the broker owes a reply to it. */
  sent(now: number, answer?: boolean) {
    this._ls = now;
    if (answer && !this._n++) this._w = now;
  }

  /**
   * A packet of `type` arrived (type unknown counts as an answer). Returns the
   * round-trip time in ms when it is the PINGRESP to our PINGREQ, else -1.
   */
  received(now: number, type?: number): number {
    var r = -1;
    this._lr = this._w = now;
    if (type == null || (ANSWERS >> type) & 1) {
      if (this._n) this._n--;
      if (this._pp >= 0 && (type == null || type == 13)) {
        r = now - this._pp;
        this._pp = -1;
      }
    }
    return r;
  }

  next() {
    var d = this._n ? this._w + (this._at || 1e4) : -1,
      p = -1;
    if (this._ka && this._pp < 0) {
      p = this._ls + this._ka;
      // an outstanding answer already proves (or disproves) the link
      if (!this._n && this._lr + this._li < p) p = this._lr + this._li;
    }
    return d < 0 || (p >= 0 && p < d) ? p : d;
  }

  timer(now: number) {
    if (this._n && now >= this._w + (this._at || 1e4)) return KeepaliveAction.DEAD;
    var d = this.next();
    if (d >= 0 && now >= d) {
      // the PINGREQ about to be sent expects its PINGRESP
      this._pp = this._ls = now;
      if (!this._n++) this._w = now;
      return KeepaliveAction.PING;
    }
    return KeepaliveAction.NONE;
  }
}
