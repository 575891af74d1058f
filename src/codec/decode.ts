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
import { V5 } from "../features";
import { BAD_FLAGS, BAD_QOS, BAD_TYPE } from "./errors";
import type { Packet, ProtocolVersion } from "./packet";
import { rProps } from "./properties";
import { r16, r8, re, rErr, rFail, rInit, rp, rRest, rStr } from "./reader";

/** Decodes a packet from its first byte and body; returns it or an error code. */
export type PacketDecoder = (h: number, b: Uint8Array, s: number, e: number, v: ProtocolVersion) => Packet | string;

/**
 * Decodes the packet whose first byte is `h` and whose body is `b[s..e)`, for
 * protocol level `v`. Returns the packet or an error code (BAD_TYPE for a
 * packet a client never receives).
 */
export function decodePacket(h: number, b: Uint8Array, s: number, e: number, v: ProtocolVersion): Packet | string {
  var t = h >> 4, f = h & 15, p: any, q: number, g: number[];
  // a bit per type a client receives: CONNACK, PUBLISH, the PUBLISH acks,
  // SUBACK, UNSUBACK, PINGRESP; 5.0: DISCONNECT, AUTH [MQTT-2.2.1]
  if (!(((V5 && v == 5 ? 0xeafc : 0x2afc) >> t) & 1)) return BAD_TYPE;
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
    // reserved flags: 0010 for PUBREL, else 0000 [MQTT-2.2.2-1/2]
    if (f != (t == 6 ? 2 : 0)) return BAD_FLAGS;
    p = { type: t };
    if (t == 2) {
      // CONNACK [MQTT-3.2]
      q = r8();
      if (q > 1) rFail(BAD_FLAGS); // [MQTT-3.2.2-1]
      p.sessionPresent = !!(q & 1);
      p.returnCode = r8();
      if (V5 && v == 5) p.properties = rProps(2);
    } else if (t < 12) {
      // PUBACK..PUBCOMP, SUBACK, UNSUBACK: a packet id first
      p.messageId = r16();
      if (V5 && v == 5) t > 8 ? (p.properties = rProps(t)) : rcProps(p, t);
      // SUBACK, UNSUBACK [MQTT-3.9, 3.11]: 3.1.1 UNSUBACK has no reason codes
      if ((V5 && v == 5 && t > 8) || t == 9) for (p.granted = g = []; rp < re; ) g.push(r8());
    } else if (V5 && t > 13) rcProps(p, t); // DISCONNECT, AUTH
  }
  return rErr() || p;
}

/** 5.0 reason code and properties, both optional (absent: success, none) [MQTT-3.4.2.1]. */
export function rcProps(p: any, t: number): void {
  p.reasonCode = rp < re ? r8() : 0;
  if (rp < re) p.properties = rProps(t);
}
