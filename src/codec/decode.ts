/**
 * Decodes the body of one complete packet into a packet object. Pure; the
 * stream framing is in decoder.ts.
 *
 * Optional fields are absent or undefined. Binary fields and the PUBLISH
 * payload are views of the input, not copies.
 */
import { CORE, V5 } from "../features";
import { BAD_FLAGS, BAD_PROTOCOL, BAD_QOS, BAD_TYPE } from "./errors";
import type { Packet, ProtocolVersion, QoS } from "./packet";
import { rProps } from "./properties";
import { left, r16, r8, rBin, rErr, rFail, rInit, rRest, rStr } from "./reader";

/**
 * Decodes the packet whose first byte is `h` and whose body is `b[s..e)`, for
 * protocol level `v`. Returns the packet or an error code.
 */
export function decodePacket(h: number, b: Uint8Array, s: number, e: number, v: ProtocolVersion): Packet | string {
  // `V5 && v == 5` is written out each time (not kept in a local) so esbuild folds it away
  var t = h >> 4, f = h & 15, p: any, q: number, g: number[] | undefined, o: any;
  rInit(b, s, e);
  // types 0 and (3.1.1) 15 are reserved [MQTT-2.2.1]
  if (!t || (t == 15 && !(V5 && v == 5))) return BAD_TYPE;
  if (t == 3) {
    // PUBLISH [MQTT-3.3]
    q = (f >> 1) & 3;
    if (q > 2) return BAD_QOS; // [MQTT-3.3.1-4]
    // read in wire order: topic, packet id, (5.0) properties, payload
    p = { type: 3, qos: q, retain: !!(f & 1), dup: !!(f & 8), topic: rStr(), messageId: q ? r16() : undefined };
    if (V5 && v == 5) p.properties = rProps(3);
    p.payload = rRest();
  } else {
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
    else if (CORE) {
      if (t > 3 && t < 8) {
        // PUBACK, PUBREC, PUBREL, PUBCOMP; 5.0 may cut reason code and properties
        p = { type: t, messageId: r16(), reasonCode: undefined, properties: undefined };
        if (V5 && v == 5) {
          p.reasonCode = left() ? r8() : 0;
          if (left()) p.properties = rProps(t);
        }
      } else if (t == 1) p = connect();
      else if (t == 8 || t == 10) {
        // SUBSCRIBE, UNSUBSCRIBE: at least one topic filter [MQTT-3.8.3-3, 3.10.3-2]
        p = { type: t, messageId: r16(), properties: V5 && v == 5 ? rProps(t) : undefined };
        if (t == 8) p.subscriptions = g = [];
        else p.unsubscriptions = g = [];
        do {
          o = rStr();
          if (t == 8) {
            q = r8();
            // reserved option bits [MQTT-3.8.3-4, 3.8.3-5]; retain handling 3 is malformed
            if (q & (V5 && v == 5 ? 0xc0 : 0xfc) || q >> 4 == 3) rFail(BAD_FLAGS);
            if ((q & 3) == 3) rFail(BAD_QOS);
            o = V5 && v == 5
              ? { topic: o, qos: q & 3, nl: !!(q & 4), rap: !!(q & 8), rh: (q >> 4) & 3 }
              : { topic: o, qos: q & 3 };
          }
          g.push(o);
        } while (left());
      } else if (t == 12) p = { type: 12 };
      else {
        // DISCONNECT, AUTH: 5.0 reason code and properties, each optional
        p = { type: t, reasonCode: undefined, properties: undefined };
        if (V5 && v == 5) {
          p.reasonCode = left() ? r8() : 0;
          if (left()) p.properties = rProps(t);
        }
      }
    } else return BAD_TYPE;
  }
  return rErr() || p;
}

/** CONNECT [MQTT-3.1]: its own protocol level decides the format. */
function connect(): any {
  var n = rStr(), l = r8(), f = r8(), p: any, q: QoS;
  if (n != "MQTT" || (l != 4 && l != 5)) rFail(BAD_PROTOCOL);
  // reserved flag [MQTT-3.1.2-3]; will qos/retain without will [MQTT-3.1.2-11/13/15]
  if (f & 1 || (!(f & 4) && f & 0x38)) rFail(BAD_FLAGS);
  q = ((f >> 3) & 3) as QoS;
  if (q > 2) rFail(BAD_QOS); // [MQTT-3.1.2-14]
  p = {
    type: 1,
    protocolVersion: l,
    clean: !!(f & 2),
    keepalive: r16(),
    properties: V5 && l == 5 ? rProps(1) : undefined,
    clientId: rStr(),
    will: undefined,
    username: undefined,
    password: undefined,
  };
  if (f & 4) p.will = { properties: V5 && l == 5 ? rProps(0) : undefined, topic: rStr(), payload: rBin(), qos: q, retain: !!(f & 32) };
  if (f & 128) p.username = rStr();
  if (f & 64) p.password = rBin();
  return p;
}
