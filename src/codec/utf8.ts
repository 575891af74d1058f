import { UNICODE } from "../features";

/**
 * UTF-8 by hand: Espruino's encodeURIComponent is unreliable and its strings
 * are byte strings, and TextEncoder/TextDecoder do not exist there. Works on
 * UTF-16 code units, so Node strings and Espruino strings (chars 0-255, taken
 * as Latin-1) both encode to valid UTF-8.
 */

/**
 * Writes `s` as UTF-8 into `b` at `p`; returns the position after it. The
 * caller guarantees room for 3 bytes per code unit. A lone surrogate becomes
 * U+FFFD, as TextEncoder does: it cannot be encoded [MQTT-1.5.3-1].
 */
export function utf8Write(s: string, b: Uint8Array, p: number): number {
  for (var i = 0, l = s.length, c: number, d: number, n: number; i < l; i++) {
    c = s.charCodeAt(i);
    // ASCII first, topics mostly are
    if (c < 128) {
      b[p++] = c;
      continue;
    }
    if (c >> 11 == 27) {
      // surrogate: a high one followed by a low one makes a code point
      d = s.charCodeAt(i + 1);
      if (c < 0xdc00 && d >> 10 == 55) {
        i++;
        c = (c << 10) + d - 0x35fdc00;
      } else c = 0xfffd;
    }
    // n continuation bytes; the lead byte has n + 1 high bits set (a byte store keeps the low 8 bits)
    n = c < 0x800 ? 1 : c > 0xffff ? 3 : 2;
    b[p++] = (255 << (7 - n)) | (c >> (6 * n));
    while (n--) b[p++] = 128 | ((c >> (6 * n)) & 63);
  }
  return p;
}

/** Byte length of `s` in UTF-8 (as utf8Write writes it). */
export function utf8Length(s: string): number {
  for (var i = 0, n = 0, l = s.length, c: number; i < l; i++) {
    c = s.charCodeAt(i);
    n += c < 128 ? 1 : c < 0x800 ? 2 : 3;
    // a valid pair is 4 bytes: 3 counted for the high half, 1 more for the low
    if (c >> 10 == 54 && s.charCodeAt(i + 1) >> 10 == 55) {
      i++;
      n++;
    }
  }
  return n;
}

/** Code units of the string being decoded; reused so decoding allocates only the string. */
var U: number[] = [];

/**
 * Decodes `b[s..e)`; null when it is not valid UTF-8 or contains U+0000
 * [MQTT-1.5.3-1/2]: overlong forms, surrogates, code points over U+10FFFF,
 * stray or missing continuation bytes are all rejected.
 */
export function utf8Decode(b: Uint8Array, s: number, e: number): string | null {
  var k = 0, c: number, n: number;
  while (s < e) {
    c = b[s++];
    if (c > 127) {
      // C0/C1 would be overlong 2-byte forms; F5.. would exceed U+10FFFF
      if (c < 0xc2 || c > 0xf4) return null;
      n = c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;
      c &= 63 >> n;
      for (var j = n; j--; ) {
        if (s >= e || (b[s] & 0xc0) != 0x80) return null;
        c = (c << 6) | (b[s++] & 63);
      }
      // overlong 3/4-byte form, beyond U+10FFFF, or a surrogate
      if (!(c >> (n * 5 + 1)) || c > 0x10ffff || c >> 11 == 27) return null;
      // a byte-string board cannot hold it: "?", not the low byte's character
      if (!UNICODE && c > 255) c = 63;
      else if (c > 0xffff) {
        // surrogate pair: 0xd800 + ((c - 0x10000) >> 10), 0xdc00 + (c & 1023)
        U[k++] = 0xd7c0 + (c >> 10);
        c = 0xdc00 | (c & 1023);
      }
    } else if (!c) return null;
    U[k++] = c;
  }
  // Espruino never drops array elements on a length assignment, and apply
  // would pass the stale tail: splice removes them on every engine
  U.splice(k);
  // Espruino's Function.apply takes at most 64 arguments (and throws beyond):
  // longer strings go 64 code units at a time (shorter ones need no copy)
  for (var r = "", i = 0; i < k; i += 64) r += String.fromCharCode.apply(null, k > 64 ? U.slice(i, i + 64) : U);
  return r;
}
