/**
 * Incremental MQTT stream decoder: push socket chunks of any size, get whole
 * packets. Contract:
 * - `new Decoder(version, maxPacketSize, handler)`; `handler.onPacket(p)` for
 *   each packet in stream order, `handler.onError(e)` (a WrenError, see
 *   errors.ts for codes) once on the first malformed or oversized packet.
 *   A handler object (typically the client itself) costs no closures.
 * - After an error the decoder is failed: further pushes are ignored until
 *   `reset()` (the client disconnects [MQTT-4.13]).
 * - `push` never throws (exceptions from the handler propagate).
 * - Packets may be split anywhere, several may share a chunk. Whole packets
 *   inside a chunk are decoded in place; only a trailing incomplete packet is
 *   copied, into a buffer that grows with the bytes that actually arrived
 *   (never to the advertised length up front). At most one partial packet is
 *   held.
 * - A decoded PUBLISH payload (and any binary field) is a view of the chunk or
 *   of the partial buffer: valid during `onPacket` only; copy it to keep it.
 * - `version` (4 or 5) is the protocol level of the connection; set it before
 *   pushing the first bytes of a connection. Decoding a CONNECT (server side,
 *   with decodeAnyPacket) sets it from the packet.
 * - `maxPacketSize` (constructor) bounds the whole packet, fixed header
 *   included, as the 5.0 Maximum Packet Size does; Infinity for no limit.
 */
import { CORE, V5 } from "../features";
import { wrenError, WrenError } from "../errors";
import { BAD_LENGTH, PACKET_TOO_LARGE } from "./errors";
import { decodePacket, PacketDecoder } from "./decode";
import type { Packet, ProtocolVersion } from "./packet";

export interface DecoderHandler {
  onPacket(p: Packet): void;
  onError(e: WrenError): void;
}

export class Decoder {
  /** Protocol level of the connection: 4 (3.1.1) or 5 (5.0). */
  version: ProtocolVersion;
  /** Largest accepted packet in bytes, header included. */
  _m: number;
  _h: DecoderHandler;
  /** Partial packet bytes and how many are there. */
  _p: Uint8Array | null;
  _n: number;
  /** Failed. */
  _f: boolean;
  /** Bumped by reset(): a push in progress stops. */
  _g: number;
  /** Packet body decoder. */
  _x: PacketDecoder;

  /**
   * `decode`: decodePacket (what a client receives; pass it from a client so
   * its bundle leaves out the server-side decoding) or decodeAnyPacket (every
   * type: servers, gateways, tests). Default: decodePacket, so a client
   * bundle never carries the server-side decoding.
   */
  constructor(version: ProtocolVersion, maxPacketSize: number, handler: DecoderHandler, decode?: PacketDecoder) {
    this.version = version;
    this._m = maxPacketSize;
    this._h = handler;
    this._x = decode || decodePacket;
    this._p = null;
    this._n = 0;
    this._f = false;
    this._g = 0;
  }

  /** Forgets any partial packet and a failure (new connection). */
  reset(): void {
    this._p = null;
    this._n = 0;
    this._f = false;
    this._g++;
  }

  push(c: Uint8Array): void {
    var self = this, i = 0, n = c.length, g = self._g, b: Uint8Array, s: number, e: number, t: number, l: number, m: number, k: number, d: number, r: Packet | string;
    while (!self._f && g == self._g) {
      // the next packet starts in the partial buffer if there is one, else in the chunk
      if (self._n) {
        b = self._p!;
        s = 0;
        e = self._n;
      } else {
        b = c;
        s = i;
        e = n;
        if (i >= n) return;
      }
      // fixed header [MQTT-2.2.3]: t = whole packet length, 0 while incomplete
      for (t = l = 0, m = 1, k = s + 1; k < e; m *= 128) {
        d = b[k++];
        l += (d & 127) * m;
        if (d < 128) {
          // 5.0: minimal encoding [MQTT-1.5.5-1]
          if (V5 && !d && k - s > 2 && self.version == 5) return self._e(BAD_LENGTH);
          t = l + k - s;
          if (t > self._m) return self._e(PACKET_TOO_LARGE);
          break;
        }
        // a 4th length byte with continuation
        if (k - s > 4) return self._e(BAD_LENGTH);
      }
      if (t && s + t <= e) {
        // a whole packet: consume it first, so the handler sees a consistent decoder
        if (b == c) i += t;
        else self._n = 0;
        r = self._x(b[s], b, k, s + t, self.version);
        if (typeof r == "string") return self._e(r);
        if (V5 && r.type == 1) self.version = r.protocolVersion;
        self._h.onPacket(r);
      } else if (b == c) return self._a(c, i, n, t); // keep the incomplete tail
      else {
        if (i >= n) return;
        // complete the partial packet: its header a byte at a time, then the rest
        k = t ? t - e : 1;
        if (k > n - i) k = n - i;
        self._a(c, i, (i += k), t);
      }
    }
  }

  /** Appends c[a..z) to the partial packet, growing it geometrically but never past `t` (when known). */
  _a(c: Uint8Array, a: number, z: number, t: number): void {
    var n = this._n + z - a, p = this._p, q: Uint8Array;
    if (!p || p.length < n) {
      // (tiny: exactly what arrived; fewer bytes of code, more copying for big packets)
      q = new Uint8Array(CORE ? Math.max(n, Math.min(n * 2, t || n)) : n);
      if (p) q.set(p.subarray(0, this._n));
      this._p = p = q;
    }
    p.set(c.subarray(a, z), this._n);
    this._n = n;
  }

  _e(code: string): void {
    this._f = true;
    this._h.onError(wrenError(code));
  }
}
