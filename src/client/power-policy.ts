/**
 * Battery bands: how hard to work for the next (re)connect. Read once per
 * connect (the keepalive is fixed in CONNECT), so a noisy battery reading can
 * at worst pick a band for one connection.
 *
 *   charge >= high (50 %)  NORMAL  configured keepalive and backoff
 *   low <= charge < high   SAVE    keepalive, liveness and backoff x factor (4)
 *   charge < low (20 %)    DUTY    as SAVE, and the app should deep-sleep
 *                                  between readings (client.sleep / cycle)
 *   unknown (NaN, mains)   NORMAL
 */
import { V5 } from "../features";
import type { ConnackPacket } from "../codec/packet";

export const enum Band {
  NORMAL = 0,
  SAVE = 1,
  DUTY = 2,
}

export interface PowerOptions {
  /** Charge (0..1) below which SAVE starts (default 0.5). */
  high?: number;
  /** Charge below which DUTY starts (default 0.2). */
  low?: number;
  /** Keepalive, liveness and backoff multiplier in SAVE and DUTY (default 4). */
  factor?: number;
}

/** The band for `charge` (0..1 or NaN). */
export function band(charge: number, o: PowerOptions): Band {
  // NaN fails both comparisons: unknown charge keeps the configured behaviour
  return charge < (o.low == null ? 0.2 : o.low)
    ? Band.DUTY
    : charge < (o.high == null ? 0.5 : o.high)
      ? Band.SAVE
      : Band.NORMAL;
}

/**
 * Multiplier for keepalive (seconds), liveness and reconnect backoff in band
 * `b`. The client applies it as `Math.min(65535, keepalive * scale)`: the
 * keepalive is a 16-bit field [MQTT-3.1.2-10], and 0 (off) stays 0.
 */
export function scale(b: Band, o: PowerOptions): number {
  return b ? o.factor || 4 : 1;
}

/** Keepalive (s) for a CONNECT sent in band `b`. */
export function keepaliveFor(keepalive: number, b: Band, o: PowerOptions): number {
  return Math.min(65535, keepalive * scale(b, o));
}

/**
 * The keepalive (s) in force after CONNACK: a 5.0 Server Keep Alive replaces
 * the one we sent [MQTT-3.2.2-21].
 */
export function negotiated(sent: number, ack: ConnackPacket): number {
  var p = ack.properties;
  return V5 && p && p.serverKeepAlive != null ? p.serverKeepAlive : sent;
}

/** The client fields this layer touches (see client.ts). */
interface PowerClient {
  _o: { keepalive?: number; reconnect?: { min?: number; max?: number; factor?: number; jitter?: number } | false };
  _h: { power?: { battery(): number } };
  /** keepalive ms sent in the next CONNECT */
  _ka: number;
  /** keepalive policy */
  _kp?: { _x?: number };
  on(ev: string, fn: () => void): unknown;
  band?: Band;
}

/**
 * Make `client` battery-aware: read the battery now and before every redial
 * (`reconnect` event), pick the band, and scale the keepalive of the next
 * CONNECT and a Liveness policy's liveness interval; when a connection
 * closes (`close`, just before the client draws its reconnect delay) scale
 * the reconnect backoff. `client.band` tells the band in force. Without a
 * Power HAL (or with NaN charge) nothing changes.
 */
export function applyPower(c: PowerClient, o: PowerOptions): void {
  var ka = c._o.keepalive == null ? 60 : c._o.keepalive,
    r = c._o.reconnect,
    q = r || {};
  function pick() {
    var p = c._h.power,
      // (scale(), inlined: NORMAL 1, else the factor)
      x = (c.band = p ? band(p.battery(), o) : Band.NORMAL) ? o.factor || 4 : 1;
    // (keepaliveFor, with the scale already at hand)
    c._ka = Math.min(65535, ka * x) * 1000;
    if (c._kp && c._kp._x != null) c._kp._x = x;
    if (r !== false) c._o.reconnect = { min: (q.min || 1000) * x, max: (q.max || 60000) * x, factor: q.factor, jitter: q.jitter };
  }
  pick();
  c.on("reconnect", pick);
  c.on("close", pick);
}
