/**
 * The output buffer of the encoders: a growable Uint8Array reused from packet
 * to packet, so steady-state encoding allocates nothing.
 *
 * Layout trick: the body of a packet is written from offset 5, then the fixed
 * header (type byte + 1..4 byte remaining length [MQTT-2.2.3]) is written
 * just in front of it, so a packet is encoded in one pass without computing
 * its length first. Length-prefixed strings and 5.0 property blocks are
 * back-filled the same way.
 *
 * The encoder state lives in module variables while one packet is encoded
 * (encoding is synchronous and never re-entered): they minify to one letter,
 * where `this._x` would not.
 */
import { CORE } from "../features";
import { PACKET_TOO_LARGE, TOO_LONG } from "./errors";
import { utf8Write } from "./utf8";

export class Writer {
  /** The buffer; replaced by a bigger one when a packet does not fit. */
  _b: Uint8Array;
  /** Last returned view, handed out again when the next packet has the same place and size. */
  _v: Uint8Array | null;
  /**
   * Largest packet (bytes, header included) this writer may produce: set it to
   * the server's Maximum Packet Size (5.0 CONNACK). Default: the largest
   * encodable packet [MQTT-2.2.3]. CORE only: the tiny profile does not check.
   */
  max!: number;
  constructor(size?: number) {
    this._b = new Uint8Array(size || 64);
    this._v = null;
    if (CORE) this.max = 268435460;
  }
}

/** The writer used when an encoder is not given one. */
export var defaultWriter = new Writer();

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
  if (CORE) E = "";
  need(0);
}

/**
 * Makes room for `k` more bytes plus 16 spare, so a few fixed-size fields may
 * follow any string/binary/property without their own check.
 */
export function need(k: number): void {
  if (N + k + 16 > B.length) {
    var b = new Uint8Array((N + k) * 2 + 16);
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
  B[N++] = x & 255;
}

export function w32(x: number): void {
  w16(x / 65536);
  w16(x);
}

/** Writes a variable byte integer [MQTT-1.5.5] at `p`; returns the position after it. */
function vbiAt(p: number, x: number): number {
  do {
    B[p++] = x > 127 ? (x & 127) | 128 : x;
    x >>>= 7;
  } while (x);
  return p;
}

export function wVbi(x: number): void {
  N = vbiAt(N, x);
}

/** UTF-8 string with a 2-byte length prefix [MQTT-1.5.3]. */
export function wStr(s: string): void {
  need(s.length * 3 + 2);
  var p = N;
  N = utf8Write(s, B, p + 2);
  len16(p, N - p - 2);
}

function len16(p: number, l: number): void {
  if (CORE && l > 65535) fail(TOO_LONG);
  B[p] = l >> 8;
  B[p + 1] = l;
}

/** Binary data with a 2-byte length prefix [MQTT-1.5.6]. */
export function wBin(b: Uint8Array): void {
  len16(N, b.length);
  N += 2;
  wRaw(b);
}

/** Bytes without a length (PUBLISH payload); a string payload is written as UTF-8. */
export function wRaw(b: Uint8Array | string): void {
  if (typeof b == "string") {
    need(b.length * 3);
    N = utf8Write(b, B, N);
  } else {
    need(b.length);
    B.set(b, N);
    N += b.length;
  }
}

/** Position of the next byte (for back-filled length prefixes). */
export function pos(): number {
  return N;
}

/**
 * Back-fills a variable byte integer length for the bytes written since `p`,
 * where 4 bytes were reserved at `p`: writes it and moves the bytes down.
 */
export function vbiFill(p: number): void {
  var s = p + 4, d = 4 - vbiAt(p, N - s) + p;
  if (d) {
    for (; s < N; s++) B[s - d] = B[s];
    N -= d;
  }
}

/** Reserves 4 bytes for a length that vbiFill writes later; returns where. */
export function reserve4(): number {
  need(4);
  N += 4;
  return N - 4;
}

/**
 * Finishes a packet with fixed-header byte `h` and returns it as a view of the
 * writer's buffer, or the error code. The view is valid until the next encode
 * with the same writer.
 */
export function end(h: number): Uint8Array | string {
  var l = N - 5, s = 3, x = l, v: Uint8Array | null;
  // the header ends at offset 5: one more byte before it per 7 bits of length
  for (; x > 127; x >>= 7) s--;
  B[s] = h;
  vbiAt(s + 1, l);
  if (CORE) {
    if (N - s > W.max) fail(PACKET_TOO_LARGE);
    if (E) return E;
  }
  // same place and size as last time (need() forgets the view when the buffer grows):
  // hand out the same view, allocating nothing
  if (!CORE) return B.subarray(s, N);
  v = W._v;
  if (!v || v.byteOffset != s || v.length != N - s) v = W._v = B.subarray(s, N);
  return v;
}
