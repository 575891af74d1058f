/**
 * The output buffer of the encoders: a growable Uint8Array reused from packet
 * to packet, so steady-state encoding allocates nothing.
 *
 * Layout trick: the body of a packet is written from offset 5, then the fixed
 * header (type byte + 1..4 byte remaining length [MQTT-2.2.3]) is written
 * just in front of it, so a packet is encoded in one pass without computing
 * its length first. Length-prefixed fields and 5.0 property blocks are
 * back-filled the same way.
 *
 * The encoder state lives in module variables while one packet is encoded
 * (encoding is synchronous and never re-entered): they minify to one letter,
 * where `this._x` would not.
 */
import { isStr } from "../errors";
import { PACKET_TOO_LARGE, TOO_LONG } from "./errors";
import { utf8Write } from "./utf8";

/** (a constructor function, not a class: ES5 lowering of a class costs bytes in every bundle) */
export interface Writer {
  /** The buffer; replaced by a bigger one when a packet does not fit. */
  _b: Uint8Array;
  /** Last returned view, handed out again when the next packet has the same place and size (none yet: undefined). */
  _v?: Uint8Array | null;
  /**
   * Largest packet (bytes, header included) this writer may produce: set it to
   * the server's Maximum Packet Size (5.0 CONNACK). Default: the largest
   * encodable packet [MQTT-2.2.3].
   */
  max: number;
}

export var Writer = function (this: Writer, size?: number) {
  this._b = new Uint8Array(size || 64);
  this.max = 268435460;
} as unknown as { new (size?: number): Writer; prototype: Writer };

/** The writer used when an encoder is not given one. */
export var defaultWriter: Writer = new Writer();

/** Current writer, its buffer, write position and first error code. */
var W: Writer;
var B: Uint8Array;
var N: number;
var E: string;

/** Starts a packet: body at offset 5. */
export function begin(w?: Writer): void {
  W = w || defaultWriter;
  B = W._b;
  N = 5;
  E = "";
  need(0);
}

/**
 * Makes room for `k` more bytes plus 16 spare, so a few fixed-size fields may
 * follow any field without their own check.
 */
export function need(k: number): void {
  // never beyond the writer's packet limit (+ the spare): a packet that does not
  // fit then fails in end() (PACKET_TOO_LARGE) instead of costing memory, and on
  // Espruino no ArrayBuffer may exceed 65,535 bytes (the constructor throws)
  var n = Math.min((N + k) * 2 + 16, W.max + 16), b: Uint8Array;
  if (N + k + 16 > B.length && n > B.length) {
    b = new Uint8Array(n);
    b.set(B);
    B = W._b = b;
    W._v = null;
  }
}

/** Records the first encode error; the packet is finished but not returned. */
export function fail(code: string): void {
  E = E || code;
}

export function w8(x: number): void {
  B[N++] = x;
}

export function w16(x: number): void {
  B[N++] = x >> 8;
  B[N++] = x;
}

/** Writes a variable byte integer [MQTT-1.5.5] at `p`; returns the position after it. */
function vbiAt(p: number, x: number): number {
  do {
    B[p++] = x > 127 ? x | 128 : x;
    x >>>= 7;
  } while (x);
  return p;
}

export function wVbi(x: number): void {
  N = vbiAt(N, x);
}

/**
 * A string (UTF-8 [MQTT-1.5.3]) or binary data [MQTT-1.5.6] with its 2-byte
 * length prefix, back-filled.
 */
export function wStr(x: string | Uint8Array): void {
  var p = N, l: number;
  N += 2;
  wRaw(x);
  l = N - p - 2;
  if (l > 65535) fail(TOO_LONG);
  B[p] = l >> 8;
  B[p + 1] = l;
}

/** Bytes without a length (PUBLISH payload); a string is written as UTF-8. */
export function wRaw(x: Uint8Array | string): void {
  if (isStr(x)) {
    need(x.length * 3);
    N = utf8Write(x, B, N);
  } else {
    need(x.length);
    // (no room: over the limit, end() fails the packet; index writes past the end go nowhere)
    if (N + x.length <= B.length) B.set(x, N);
    N += x.length;
  }
}

/** Reserves 4 bytes for a length that vbiFill writes later (5.0 property blocks); returns where. */
export function reserve4(): number {
  need(4);
  return (N += 4) - 4;
}

/** Back-fills the variable byte integer length of the bytes written since `p + 4`, moving them down. */
export function vbiFill(p: number): void {
  var s = p + 4, d = 4 - vbiAt(p, N - s) + p;
  if (d) {
    for (; s < N; s++) B[s - d] = B[s];
    N -= d;
  }
}

/**
 * Finishes a packet with fixed-header byte `h` and returns it as a view of the
 * writer's buffer, or the error code. The view is valid until the next encode
 * with the same writer.
 */
export function end(h: number): Uint8Array | string {
  var l = N - 5, s = 3, x = l, v: Uint8Array | null | undefined;
  // the header ends at offset 5: one more byte before it per 7 bits of length
  for (; x > 127; x >>= 7) s--;
  B[s] = h;
  vbiAt(s + 1, l);
  if (N - s > W.max) fail(PACKET_TOO_LARGE);
  if (E) return E;
  // same place and size as last time (need() forgets the view when the buffer grows):
  // hand out the same view, allocating nothing
  v = W._v;
  if (!v || v.byteOffset != s || v.length != N - s) v = W._v = B.subarray(s, N);
  return v;
}
