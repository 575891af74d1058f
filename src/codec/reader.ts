/**
 * Cursor over the body of one complete packet. Module state, like the writer:
 * decoding is synchronous and never re-entered, and module variables minify
 * to one letter.
 *
 * Fixed-size reads do not check the end: a read past it yields a byte of
 * whatever follows (or undefined, read as 0) and moves the cursor past the
 * end, which `rErr()` reports as MALFORMED once per packet. Only reads whose
 * length comes from the packet (strings, binary data, property blocks) check
 * it first, so a bad length is MALFORMED before anything is decoded.
 */
import { BAD_LENGTH, BAD_UTF8, MALFORMED } from "./errors";
import { utf8Decode } from "./utf8";

var b: Uint8Array;
/** Cursor (read it as `rp`), end of the packet (`re`), first error. */
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

/** The first error of the packet; bytes left over or read past the end are MALFORMED. */
export function rErr(): string {
  if (p != e) rFail(MALFORMED);
  return err;
}

export function r8(): number {
  return b[p++];
}

export function r16(): number {
  return (b[p++] << 8) | b[p++];
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
    // checked, unlike r8: a length must not run on into the next packet
    d = p < e ? b[p++] : (rFail(MALFORMED), 0);
    x += (d & 127) * m;
    m *= 128;
  } while (d > 127 && m < 268435456);
  if (d > 127 || (!d && m > 128)) rFail(BAD_LENGTH);
  return x;
}

/** Skips `n` bytes, checking they are there; returns where they start. */
function skip(n: number): number {
  var s = p;
  p += n;
  if (p > e) rFail(MALFORMED);
  return s;
}

/** UTF-8 string [MQTT-1.5.3]. */
export function rStr(): string {
  var s = skip(r16()), r: string | null;
  r = err ? "" : utf8Decode(b, s, p);
  if (r == null) rFail(BAD_UTF8);
  return r || "";
}

/** Binary data [MQTT-1.5.6]: a view of the input, not a copy. */
export function rBin(): Uint8Array {
  return rBytes(r16());
}

/** `n` bytes: a view of the input, not a copy. */
export function rBytes(n: number): Uint8Array {
  return b.subarray(skip(n), p);
}

/** The rest of the packet (PUBLISH payload): a view, not a copy. */
export function rRest(): Uint8Array {
  var s = p;
  // past the end already: leave the cursor there for rErr
  if (s < e) p = e;
  return b.subarray(s, e);
}

export { p as rp, e as re };
