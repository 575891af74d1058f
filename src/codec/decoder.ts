/**
 * Incremental MQTT stream decoder: push socket chunks of any size, get whole
 * packets. Contract:
 * - `new Decoder(version, maxPacketSize, handler)`; `handler.onPacket(p)` for
 *   each packet in stream order, `handler.onError(e)` (a WrenError, see
 *   errors.ts for codes) once on the first malformed or oversized packet.
 *   A handler object (typically the client itself) costs no closures.
 * - After an error the decoder is failed: further pushes are ignored until
 *   `reset()` (the client disconnects [MQTT-4.13]).
 * - `push` never throws itself. An exception from the handler propagates
 *   after the rest of the chunk is handled, so the stream stays in sync.
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
import { V5 } from "../features";
import { isStr, wrenError, WrenError } from "../errors";
import { BAD_LENGTH, PACKET_TOO_LARGE } from "./errors";
import { decodePacket, PacketDecoder } from "./decode";
import type { Packet, ProtocolVersion } from "./packet";

export interface DecoderHandler {
  onPacket(p: Packet): void;
  onError(e: WrenError): void;
}

/** (a constructor function, not a class: ES5 lowering of a class costs bytes in every bundle) */
export interface Decoder {
  /** Protocol level of the connection: 4 (3.1.1) or 5 (5.0). */
  version: ProtocolVersion;
  /** Largest accepted packet in bytes, header included. */
  _m: number;
  _h: DecoderHandler;
  /** Partial packet bytes and how many are there. */
  _p: Uint8Array | null;
  _n: number;
  /**
   * Generation, bumped by reset(): a push in progress stops. NaN once failed,
   * so every push stops at once until reset().
   */
  _g: number;
  /** Packet body decoder. */
  _x: PacketDecoder;

  reset(): void;
  push(c: Uint8Array): void;
  _e(code: string): void;
}

/**
 * `decode`: decodePacket (what a client receives; pass it from a client so
 * its bundle leaves out the server-side decoding) or decodeAnyPacket (every
 * type: servers, gateways, tests). Default: decodePacket, so a client
 * bundle never carries the server-side decoding.
 */
export var Decoder = function (this: Decoder, version: ProtocolVersion, maxPacketSize: number, handler: DecoderHandler, decode?: PacketDecoder) {
  this.version = version;
  this._m = maxPacketSize;
  this._h = handler;
  this._x = decode || decodePacket;
  this.reset();
} as unknown as { new (version: ProtocolVersion, maxPacketSize: number, handler: DecoderHandler, decode?: PacketDecoder): Decoder; prototype: Decoder };

/** Forgets any partial packet and a failure (new connection). */
Decoder.prototype.reset = function (this: Decoder): void {
  this._p = null;
  this._n = 0;
  // (undefined or NaN + 1 is NaN: start again at 1)
  this._g = this._g + 1 || 1;
};

Decoder.prototype.push = function (this: Decoder, c: Uint8Array): void {
  for (
    var d = this, i = 0, n = c.length, g = d._g, b: Uint8Array, s: number, e: number, t: number, l: number, k: any, x: number, r: Packet | string;
    g == d._g;

  ) {
    // the next packet starts in the partial buffer if there is one, else in the chunk
    b = d._n ? d._p! : c;
    s = d._n ? 0 : i;
    e = d._n || n;
    // fixed header [MQTT-2.2.3]: t = whole packet length, 0 while incomplete
    for (t = l = 0, k = s + 1; k < e; ) {
      x = b[k++];
      // at most 4 bytes of 7 bits: fits a 32-bit shift
      l |= (x & 127) << (7 * (k - s - 2));
      if (x < 128) {
        // 5.0: minimal encoding [MQTT-1.5.5-1]
        if (V5 && !x && k - s > 2 && d.version == 5) return d._e(BAD_LENGTH);
        t = l + k - s;
        if (t > d._m) return d._e(PACKET_TOO_LARGE);
        break;
      }
      // a 4th length byte with continuation
      if (k - s > 4) return d._e(BAD_LENGTH);
    }
    if (t && s + t <= e) {
      // a whole packet: consume it first, so the handler sees a consistent decoder
      if (b == c) i += t;
      else d._n = 0;
      r = d._x(b[s], b, k, s + t, d.version);
      if (isStr(r)) return d._e(r);
      if (V5 && r.type == 1) d.version = r.protocolVersion;
      try {
        d._h.onPacket(r);
      } catch (x) {
        // a throwing handler (a user listener) must not lose the rest of the
        // chunk: that drops acks and desyncs the stream; handle it, then rethrow
        if (g == d._g) d.push(c.subarray(i));
        throw x;
      }
    } else {
      if (i >= n) return;
      // keep the incomplete tail of the chunk; or complete the partial packet:
      // its header a byte at a time, then the rest
      k = b != c && i + (t ? t - e : 1);
      if (!k || k > n) k = n;
      x = d._n + k - i;
      if (!d._p || d._p.length < x) {
        // grows geometrically but never past `t` (when known)
        b = new Uint8Array(Math.max(x, Math.min(x * 2, t || x)));
        if (d._p) b.set(d._p);
        d._p = b;
      }
      d._p.set(c.subarray(i, k), d._n);
      d._n = x;
      i = k;
    }
  }
};

Decoder.prototype._e = function (this: Decoder, code: string): void {
  this._g = NaN;
  this._h.onError(wrenError(code));
};
