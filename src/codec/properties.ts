/**
 * MQTT 5.0 properties [MQTT-2.2.2]: one table (identifier, value kind, which
 * packets allow it), an encoder and a decoder. Only the V5 profile reaches
 * this module; the table is parallel arrays to stay small and ES5.
 *
 * Packet masks: bit t allows the property in control packet type t; bit 0
 * stands for the Will Properties of CONNECT.
 */
import { BAD_PROPERTY, DUP_PROPERTY, MALFORMED } from "./errors";
import { r16, r32, r8, rBin, rFail, rPos, rStr, rVbi } from "./reader";
import { fail, need, reserve4, vbiFill, w16, w32, w8, wBin, wStr, wVbi } from "./writer";
import type { Properties } from "./packet";

/** Property names, as in packet.ts / mqtt-packet, in table order (a literal, so tree-shaking can drop it). */
var NAMES = [
  "payloadFormatIndicator",
  "messageExpiryInterval",
  "contentType",
  "responseTopic",
  "correlationData",
  "subscriptionIdentifier",
  "sessionExpiryInterval",
  "assignedClientIdentifier",
  "serverKeepAlive",
  "authenticationMethod",
  "authenticationData",
  "requestProblemInformation",
  "willDelayInterval",
  "requestResponseInformation",
  "responseInformation",
  "serverReference",
  "reasonString",
  "receiveMaximum",
  "topicAliasMaximum",
  "topicAlias",
  "maximumQoS",
  "retainAvailable",
  "userProperties",
  "maximumPacketSize",
  "wildcardSubscriptionAvailable",
  "subscriptionIdentifiersAvailable",
  "sharedSubscriptionAvailable",
];
/** Property identifiers [MQTT-2.2.2.2]. */
var IDS = [1, 2, 3, 8, 9, 11, 17, 18, 19, 21, 22, 23, 24, 25, 26, 28, 31, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42];
/**
 * Value kinds: 0 boolean byte, 1 number byte, 2 two-byte integer, 4 four-byte
 * integer, 5 variable byte integer, 6 UTF-8 string, 7 binary, 8 string pair.
 */
var KINDS = [0, 4, 6, 6, 7, 5, 4, 6, 2, 6, 7, 0, 4, 0, 6, 6, 6, 2, 2, 2, 1, 0, 8, 4, 0, 0, 0];
/** Allowed packets, bit per control packet type (bit 0: will). */
var MASKS = [
  9, 9, 9, 9, 9, 264, 16390, 4, 4, 32774, 32774, 2, 1, 2, 4, 16388, 51956, 6, 6, 8, 4, 4, 53247, 6, 4, 4, 4,
];
/** User property and (in PUBLISH) subscription identifier may repeat [MQTT-3.3.4-?]. */
var USER = 22;
var SUBID = 5;

/**
 * Writes the property length and properties of packet type `t` (0: will).
 * A property the packet does not allow records BAD_PROPERTY.
 */
export function wProps(o: Properties | undefined, t: number): void {
  var p = reserve4(), i: number, k: string, v: any, j: number;
  if (o)
    for (i = 0; i < 27; i++) {
      v = (o as any)[NAMES[i]];
      if (v == null) continue;
      if (!((MASKS[i] >> t) & 1)) fail(BAD_PROPERTY);
      if (i == USER) {
        for (k in v)
          if (Object.prototype.hasOwnProperty.call(v, k)) {
            // a repeated key: an array of values, one pair each
            var a = typeof v[k] == "string" ? [v[k]] : v[k];
            for (j = 0; j < a.length; j++) {
              w8(38);
              wStr(k);
              wStr(a[j]);
            }
          }
      } else {
        var a = i == SUBID && typeof v != "number" ? v : [v];
        for (j = 0; j < a.length; j++) {
          need(8);
          w8(IDS[i]);
          wVal(KINDS[i], a[j]);
        }
      }
    }
  vbiFill(p);
}

function wVal(k: number, v: any): void {
  if (k < 2) w8(+v);
  else if (k == 2) w16(v);
  else if (k == 4) w32(v);
  else if (k == 5) wVbi(v);
  else if (k == 6) wStr(v);
  else wBin(v);
}

/** Per-entry "seen in this block" marks: equal to `gen` means seen. */
var seen: number[] = [];
var gen = 0;

/**
 * Reads a property block of packet type `t` (0: will). Returns undefined for
 * an empty block, like mqtt-packet. Errors: BAD_PROPERTY (unknown, not
 * allowed here, boolean/QoS byte not 0 or 1), DUP_PROPERTY, MALFORMED.
 */
export function rProps(t: number): Properties | undefined {
  var l = rVbi(), end = rPos() + l, o: any, i: number, k: number, v: any, n: string;
  gen++;
  while (rPos() < end) {
    o = o || {};
    v = rVbi();
    for (i = 0; i < 27 && IDS[i] != v; i++);
    if (i > 26 || !((MASKS[i] >> t) & 1)) {
      rFail(BAD_PROPERTY);
      break;
    }
    n = NAMES[i];
    k = KINDS[i];
    if (i == USER) {
      var u = (o[n] = o[n] || Object.create(null)), key = rStr();
      v = rStr();
      u[key] = key in u ? [].concat(u[key], v) : v;
      continue;
    }
    if (seen[i] == gen && !(i == SUBID && t == 3)) {
      rFail(DUP_PROPERTY);
      break;
    }
    seen[i] = gen;
    v = k < 2 ? r8() : k == 2 ? r16() : k == 4 ? r32() : k == 5 ? rVbi() : k == 6 ? rStr() : rBin();
    if (k < 2 && v > 1) rFail(BAD_PROPERTY);
    // repeated subscription identifiers (PUBLISH) collect into an array
    o[n] = n in o ? [].concat(o[n], v) : k ? v : !!v;
  }
  if (rPos() != end) rFail(MALFORMED);
  return o;
}
