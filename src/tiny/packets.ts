/**
 * MQTT 3.1.1 packets of the tiny profile, as binary strings (one char per
 * byte): the form Espruino's sockets read and write, so the tiny profile
 * needs no Uint8Array conversion and no buffers at all. Only what a QoS 0
 * client sends is encoded here; the client reads the few fields it needs
 * from incoming packets itself.
 *
 * Strings: JS strings are UTF-16 and MQTT strings UTF-8 [MQTT-1.5.3]. ASCII
 * is the same in both, so the tiny profile takes ASCII only (client id,
 * credentials, topics, filters) and refuses anything else (BAD_STRING)
 * instead of carrying a UTF-8 encoder: a wrong length would corrupt the
 * stream. Payloads are bytes (binary strings). The core/full profiles
 * encode and decode UTF-8 themselves.
 */
import { wrenError } from "../errors";

/** String.fromCharCode, held once. */
export var F = String.fromCharCode;

/** Byte `i` of binary string `s` (NaN past the end). (`s.charCodeAt` spelt once: 10 bytes a use.) */
export function at(s: string, i: number): number {
  return s.charCodeAt(i);
}

/** Fixed header: type/flags byte and the remaining length as a variable byte integer [MQTT-2.2.3]. */
export function packet(head: number, body: string): string {
  for (var n = body.length, s = F(head); (s += F(n > 127 ? (n & 127) | 128 : n)), (n >>= 7); );
  return s + body;
}

/** A 16-bit number, big-endian (packet identifiers). */
export function u16(n: number): string {
  return F(n >> 8, n & 255);
}

/** An ASCII string prefixed by its length, two bytes big-endian [MQTT-1.5.3]. */
export function str(s: string): string {
  if (/[^\0-\x7f]/.test(s)) throw wrenError("BAD_STRING"); // (not the string: it may be a password)
  return u16(s.length) + s;
}

/** CONNECT 3.1.1, clean session [MQTT-3.1.2-6]; a password only with a username [MQTT-3.1.2-22]. */
export function connectPacket(id: string, keepalive: number, user?: string, pass?: string): string {
  var u = user != null,
    p = u && pass != null;
  return packet(16, str("MQTT") + F(4, (u ? 128 : 0) | (p ? 64 : 0) | 2) + u16(keepalive) + str(id) + (u ? str(user!) : "") + (p ? str(pass!) : ""));
}
