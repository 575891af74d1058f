/**
 * Decoding of the packets only a server receives: CONNECT, SUBSCRIBE,
 * UNSUBSCRIBE, PINGREQ and the 3.1.1 DISCONNECT. For tests, gateways and
 * brokers: pass `decodeAnyPacket` as the Decoder's 4th argument. Client
 * bundles never import this module.
 */
import { V5 } from "../features";
import { BAD_FLAGS, BAD_PROTOCOL, BAD_QOS } from "./errors";
import { decodePacket, rcProps } from "./decode";
import type { Packet, ProtocolVersion, QoS } from "./packet";
import { rProps } from "./properties";
import { r16, r8, rBin, re, rErr, rFail, rInit, rp, rStr } from "./reader";

/** Every packet type of protocol level `v`, either direction. */
export function decodeAnyPacket(h: number, b: Uint8Array, s: number, e: number, v: ProtocolVersion): Packet | string {
  var t = h >> 4, f = h & 15, p: any, q: number, g: any[], o: any;
  if (t != 1 && t != 8 && t != 10 && t != 12 && (t != 14 || (V5 && v == 5))) return decodePacket(h, b, s, e, v);
  // reserved flags: 0010 for SUBSCRIBE, UNSUBSCRIBE, else 0000 [MQTT-2.2.2-1/2]
  if (f != (t == 8 || t == 10 ? 2 : 0)) return BAD_FLAGS;
  rInit(b, s, e);
  if (t == 1) p = connect();
  else if (t == 12 || t == 14) p = { type: t };
  else {
    // SUBSCRIBE, UNSUBSCRIBE: at least one topic filter [MQTT-3.8.3-3, 3.10.3-2]
    p = { type: t, messageId: r16() };
    if (V5 && v == 5) p.properties = rProps(t);
    if (t == 8) p.subscriptions = g = [];
    else p.unsubscriptions = g = [];
    do {
      o = rStr();
      if (t == 8) {
        q = r8();
        // reserved option bits [MQTT-3.8.3-4, 3.8.3-5]; retain handling 3 is malformed
        if (q & (V5 && v == 5 ? 0xc0 : 0xfc) || q >> 4 == 3) rFail(BAD_FLAGS);
        if ((q & 3) == 3) rFail(BAD_QOS);
        o =
          V5 && v == 5
            ? { topic: o, qos: q & 3, nl: !!(q & 4), rap: !!(q & 8), rh: (q >> 4) & 3 }
            : { topic: o, qos: q & 3 };
      }
      g.push(o);
    } while (rp < re);
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
  p = { type: 1, protocolVersion: l, clean: !!(f & 2), keepalive: r16() };
  if (V5 && l == 5) p.properties = rProps(1);
  p.clientId = rStr();
  if (f & 4) {
    p.will = { qos: q, retain: !!(f & 32) };
    if (V5 && l == 5) p.will.properties = rProps(0);
    p.will.topic = rStr();
    p.will.payload = rBin();
  }
  if (f & 128) p.username = rStr();
  if (f & 64) p.password = rBin();
  return p;
}
