/**
 * Decodes the body of one complete packet into a packet object. Pure; the
 * stream framing is in decoder.ts.
 *
 * `decodePacket` knows the packets a client receives (CONNACK, PUBLISH, the
 * PUBLISH acks, SUBACK, UNSUBACK, PINGRESP, and in 5.0 DISCONNECT and AUTH);
 * `decodeAnyPacket` (decode-server.ts) adds those only a server receives, so
 * client bundles do not carry them.
 *
 * Optional fields are absent or undefined. Binary fields and the PUBLISH
 * payload are views of the input, not copies. Flags are tested inline as
 * `V5 && v == 5` (never through a local) so esbuild folds them away.
 */
import { CORE, V5 } from "../features";
import { BAD_FLAGS, BAD_QOS, BAD_TYPE } from "./errors";
import type { Packet, ProtocolVersion } from "./packet";
import { rProps } from "./properties";
import { left, r16, r8, rErr, rFail, rInit, rRest, rStr } from "./reader";

/** Decodes a packet from its first byte and body; returns it or an error code. */
export type PacketDecoder = (h: number, b: Uint8Array, s: number, e: number, v: ProtocolVersion) => Packet | string;

/**
 * Decodes the packet whose first byte is `h` and whose body is `b[s..e)`, for
 * protocol level `v`. Returns the packet or an error code (BAD_TYPE for a
 * packet a client never receives).
 */
export function decodePacket(h: number, b: Uint8Array, s: number, e: number, v: ProtocolVersion): Packet | string {
  var t = h >> 4, f = h & 15, p: any, q: number, g: number[];
  rInit(b, s, e);
  if (t == 3) {
    // PUBLISH [MQTT-3.3]
    q = (f >> 1) & 3;
    if (q > 2) return BAD_QOS; // [MQTT-3.3.1-4]
    // read in wire order: topic, packet id, (5.0) properties, payload
    p = { type: 3, qos: q, retain: !!(f & 1), dup: !!(f & 8), topic: rStr(), messageId: q ? r16() : undefined };
    if (V5 && v == 5) p.properties = rProps(3);
    p.payload = rRest();
  } else {
    // types 0 and (3.1.1) 15 are reserved [MQTT-2.2.1]
    if (!t || (t == 15 && !(V5 && v == 5))) return BAD_TYPE;
    // reserved flags: 0010 for PUBREL, SUBSCRIBE, UNSUBSCRIBE, else 0000 [MQTT-2.2.2-1/2]
    if (f != (t == 6 || t == 8 || t == 10 ? 2 : 0)) return BAD_FLAGS;
    if (t == 2) {
      // CONNACK [MQTT-3.2]
      q = r8();
      if (CORE && q > 1) rFail(BAD_FLAGS); // [MQTT-3.2.2-1]
      p = { type: 2, sessionPresent: !!(q & 1), returnCode: r8() };
      if (V5 && v == 5) p.properties = rProps(2);
    } else if (t == 9 || t == 11) {
      // SUBACK, UNSUBACK [MQTT-3.9, 3.11]: 3.1.1 UNSUBACK has no reason codes
      p = { type: t, messageId: r16() };
      if (V5 && v == 5) p.properties = rProps(t);
      if (t == 9 || (V5 && v == 5)) for (p.granted = g = []; left(); ) g.push(r8());
    } else if (t == 13) p = { type: 13 };
    else if (CORE && t > 3 && t < 8) {
      // PUBACK, PUBREC, PUBREL, PUBCOMP
      p = { type: t, messageId: r16() };
      if (V5 && v == 5) rcProps(p, t);
    } else if (V5 && v == 5 && t > 13) {
      // DISCONNECT, AUTH (a 3.1.1 server sends neither)
      p = { type: t };
      rcProps(p, t);
    } else return BAD_TYPE;
  }
  return rErr() || p;
}

/** 5.0 reason code and properties, both optional (absent: success, none) [MQTT-3.4.2.1]. */
export function rcProps(p: any, t: number): void {
  p.reasonCode = left() ? r8() : 0;
  if (left()) p.properties = rProps(t);
}
