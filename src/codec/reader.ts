/**
 * Cursor over the body of one complete packet. Module state, like the writer:
 * decoding is synchronous and never re-entered, and module variables minify
 * to one letter. Reads past the end record MALFORMED and return 0/""; the
 * cursor then jumps to the end so loops stop, and the caller checks `rErr()`
 * once per packet instead of after every field.
 */
import { CORE } from "../features";
import { BAD_LENGTH, BAD_UTF8, MALFORMED } from "./errors";
import { utf8Decode } from "./utf8";

var b: Uint8Array;
var p: number;
var e: number;
var err: string;

export function rInit(buf: Uint8Array, s: number, end: number): void {
  b = buf;
  p = s;
  e = end;
  err = "";
}

/** Records the first error and stops reading. */
export function rFail(code: string): void {
  err = err || code;
  p = e;
}

export function rErr(): string {
  // bytes left over after the last field are malformed too
  if (p < e) rFail(MALFORMED);
  return err;
}

export function left(): number {
  return e - p;
}

export function r8(): number {
  if (p < e) return b[p++];
  rFail(MALFORMED);
  return 0;
}

export function r16(): number {
  return (r8() << 8) | r8();
}

export function r32(): number {
  return r16() * 65536 + r16();
}

/**
 * Variable byte integer [MQTT-1.5.5] (5.0 only: properties): at most 4 bytes,
 * minimal encoding [MQTT-1.5.5-1].
 */
export function rVbi(): number {
  var x = 0, m = 1, d: number;
  do {
    d = r8();
    x += (d & 127) * m;
    m *= 128;
  } while (d > 127 && m < 268435456);
  if (d > 127 || (!d && m > 128)) rFail(BAD_LENGTH);
  return x;
}

/** Reads a 2-byte length and checks that many bytes are there; returns where they start. */
function span(): number {
  var l = r16(), s = p;
  if (s + l > e) rFail(MALFORMED);
  else p += l;
  return s;
}

/** UTF-8 string [MQTT-1.5.3]. */
export function rStr(): string {
  var s = span(), r = CORE && err ? "" : utf8Decode(b, s, p);
  if (CORE && r == null) rFail(BAD_UTF8);
  return r || "";
}

/** Binary data [MQTT-1.5.6]: a view of the input, not a copy. */
export function rBin(): Uint8Array {
  var s = span();
  return b.subarray(s, p);
}

/** The rest of the packet (PUBLISH payload): a view, not a copy. */
export function rRest(): Uint8Array {
  var s = p;
  p = e;
  return b.subarray(s, e);
}

/** Position (for 5.0 property blocks, which have their own length). */
export function rPos(): number {
  return p;
}
