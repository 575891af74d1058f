/**
 * Keepalive as a small policy object the client consults: the seam where the
 * battery-aware policies plug in. The client tells the policy what it sent and
 * received, asks for the next deadline to put on its one timer, and when that
 * timer fires asks what to do. A policy holds only numbers, so it can be saved
 * and restored across deep sleep.
 */

import { PERSIST } from "../features";
import { ON_BOARD } from "../entry/board";

/** What the client should do when the keepalive deadline passes. */
export const enum KeepaliveAction {
  NONE = 0,
  /** Send PINGREQ now (the client then calls `sent`). */
  PING = 1,
  /** The link is dead: destroy the connection and take the reconnect path. */
  DEAD = 2,
}

export interface KeepalivePolicy {
  /** A connection was accepted (CONNACK); `ms` is the negotiated keepalive, 0 = off. */
  start(now: number, ms: number): void;
  /**
   * Any packet was written; `answer`: the broker owes a reply to it (PUBLISH
   * QoS > 0, PUBREL, SUBSCRIBE, UNSUBSCRIBE).
   */
  sent(now: number, answer?: boolean): void;
  /** A packet of `type` arrived (the return value is the policy's own business, e.g. an RTT). */
  received(now: number, type?: number): unknown;
  /** Absolute time (ms) the client must call `timer` at, or -1 for never. */
  next(): number;
  /** The deadline passed (the client may call early or late: compare with `now`). */
  timer(now: number): KeepaliveAction;
}

/**
 * The spec rule [MQTT-3.1.2-23]: send PINGREQ when nothing was sent for
 * `keepalive` seconds. If nothing (PINGRESP or any other packet) arrives
 * within `timeout` ms of the PINGREQ, the connection is dead [MQTT-3.1.2-24
 * is the server's side of the same idea].
 * `timeout` defaults to the keepalive interval itself.
 */
export interface SpecKeepalive extends KeepalivePolicy {
  /** ping timeout ms (0 or undefined = the keepalive interval) */
  _to: number | undefined;
  /** keepalive interval ms, 0 (or undefined before start) = off */
  _ka: number;
  /** last sent */
  _ls: number;
  /** PINGREQ pending since, -1 = none */
  _pp: number;
  /** Returns the round trip (ms) when a PINGREQ was pending, else -1. */
  received(now: number, type?: number): number;
}

/** A plain constructor, not a class: ES5 lowers a class to a larger IIFE. */
export var SpecKeepalive = function (this: SpecKeepalive, timeout?: number) {
  this._to = timeout;
} as unknown as { new (timeout?: number): SpecKeepalive; prototype: SpecKeepalive };

// (a full board build leaves these out: its entry always gives the client a policy)
if (!(PERSIST && ON_BOARD)) {
  var P = SpecKeepalive.prototype;
  P.start = function (now, ms) {
    this._ka = ms;
    this._ls = now;
    this._pp = -1;
  };
  P.sent = function (now) {
    this._ls = now;
  };
  P.received = function (now) {
    var p = this._pp;
    this._pp = -1;
    return p < 0 ? -1 : now - p;
  };
  P.next = function () {
    var s = this,
      k = s._ka,
      p = s._pp;
    return !k ? -1 : p < 0 ? s._ls + k : p + (s._to || k);
  };
  P.timer = function (now) {
    var s = this,
      d = s.next();
    // before the deadline, or keepalive off; past it: dead if a PINGREQ is pending, else ping
    if (d < 0 || now < d) return KeepaliveAction.NONE;
    if (s._pp >= 0) return KeepaliveAction.DEAD;
    s._pp = now;
    return KeepaliveAction.PING;
  };
}
