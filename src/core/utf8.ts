/**
 * Strings of the core profile's client as MQTT wants them: UTF-8 bytes
 * [MQTT-1.5.3], held as binary strings (one char per byte, the form of
 * Espruino's sockets). A JS string's chars are code points (U+0000..U+00FF
 * on ESP32/ESP8266, whose strings are bytes; any on Espruino's Linux build):
 * encoded and decoded here, as Espruino's encodeURIComponent gets it wrong.
 * On a byte-string board a received character above U+00FF cannot be held
 * and becomes "?" (String.fromCharCode would keep its low byte: another
 * character). Payloads are bytes and not converted.
 */
import { at, F } from "../tiny/packets";
import { UNICODE } from "../features";

/** `s` as UTF-8 bytes; -1 for a lone surrogate (no UTF-8 form [MQTT-1.5.3-1]). */
export function toUtf8(s: string): string | -1 {
  if (!/[^\0-\x7f]/.test(s)) return s;
  for (var r = "", i = 0, c: number, d: number; i < s.length; ) {
    c = at(s, i++);
    // a surrogate pair is one code point; a lone surrogate is not a character
    // (byte-string boards: every char is below U+0100, two bytes at most)
    if (UNICODE && c >> 11 == 27) {
      if (c > 0xdbff || (d = at(s, i++)) >> 10 != 55) return -1;
      c = 0x10000 + ((c & 1023) << 10) + (d & 1023);
    }
    r += c < 128 ? F(c) : !UNICODE || c < 2048 ? F(192 | (c >> 6), 128 | (c & 63)) : c < 65536 ? F(224 | (c >> 12), 128 | ((c >> 6) & 63), 128 | (c & 63)) : F(240 | (c >> 18), 128 | ((c >> 12) & 63), 128 | ((c >> 6) & 63), 128 | (c & 63));
  }
  return r;
}

/**
 * UTF-8 bytes as a string; -1 when ill-formed: a bad lead or continuation
 * byte, an overlong form, a surrogate or above U+10FFFF [MQTT-1.5.3-1].
 */
export function fromUtf8(b: string): string | -1 {
  // (any byte above 0x7f; a class range above \x7f is unreliable on Espruino, whose chars may be signed)
  if (!/[^\0-\x7f]/.test(b)) return b;
  for (var r = "", i = 0, c: number, d: number, n: number, m: number; i < b.length; ) {
    c = at(b, i++);
    // n continuation bytes (a lead of 0xC0/0xC1 is always overlong, 0xF5.. above U+10FFFF)
    n = c < 128 ? 0 : c < 194 ? 9 : c < 224 ? 1 : c < 240 ? 2 : c < 245 ? 3 : 9;
    if (n > 3) return -1;
    // the smallest code point of a 3- and 4-byte form (2048, 65536): below it, overlong
    // (of a 2-byte one 64 here: leads from 0xC2 are never below it)
    m = n && 1 << (5 * n + 1);
    // (past the end charCodeAt gives NaN: not a continuation byte)
    for (c &= 127 >> n; n--; c = (c << 6) | (d & 63)) if (((d = at(b, i++)) & 192) != 128) return -1;
    if (c < m || c >> 11 == 27 || c > 0x10ffff) return -1;
    r += !UNICODE ? (c > 255 ? "?" : F(c)) : c > 65535 ? F(0xd800 + ((c - 65536) >> 10), 0xdc00 + ((c - 65536) & 1023)) : F(c);
  }
  return r;
}
