/**
 * MQTT 5.0 properties [MQTT-2.2.2]: one table indexed by property identifier
 * [MQTT-2.2.2.2] (name, value kind, which packets allow it), an encoder and a
 * decoder. Only the V5 profile reaches this module. Identifiers without a
 * property are holes in the masks array (an ES5 elision, which Espruino parses).
 *
 * Packet masks: bit t allows the property in control packet type t; bit 0
 * stands for the Will Properties of CONNECT.
 */
import { isStr } from "../errors";
import { BAD_PROPERTY, DUP_PROPERTY, MALFORMED } from "./errors";
import { r8, rBin, re, rFail, rp, rStr, rVbi } from "./reader";
import { fail, need, reserve4, vbiFill, w16, w8, wStr, wVbi } from "./writer";
import type { Properties } from "./packet";

/**
 * Property names by identifier, as in packet.ts / mqtt-packet; "" for an
 * unused identifier. Built once from one string with the repeated words
 * numbered: much shorter than an array literal. (Pure, so tree-shaking drops
 * it from bundles without 5.0. The RegExp is fine there: the boards with a
 * full profile have RegExp support.)
 */
var NAMES = /* @__PURE__ */ " payloadFormatIndicator message93 contentType     8Topic correlationData  subscription0      session93 assignedClient0 serverKeepAlive  5Method 5Data 7Problem2 willDelay3 7Response2 82  serverReference   reasonString  receive6 topicAlias6 topicAlias maximumQoS retain1 userProperties maximumPacketSize wildcard41 subscription0s1 shared41"
  .replace(/\d/g, function (d) {
    return "Identifier Available Information Interval Subscription authentication Maximum request response Expiry".split(" ")[+d];
  })
  .split(" ");
/**
 * Value kind by identifier, one digit each: 0 boolean byte, 1 number byte,
 * 2 two-byte integer, 4 four-byte integer (so 1..4 is the width of an
 * integer), 5 variable byte integer, 6 UTF-8 string, 7 binary, 8 string pair.
 */
var KINDS = " 046    67 5     462 670406 6  6 2221084000";
/** Allowed packets by identifier, bit per control packet type (bit 0: will). */
// prettier-ignore
var MASKS = [,9,9,9,,,,,9,9,,264,,,,,,16390,4,4,,32774,32774,2,1,2,4,,16388,,,51956,,6,6,8,4,4,53247,6,4,4,4];
// User property (38) and, in PUBLISH, subscription identifier (11) may repeat
// [MQTT-3.3.4-?]. Written as literals below: as short as a minified name, and
// no declaration.

/**
 * Writes the property length and properties of packet type `t` (0: will).
 * A property the packet does not allow records BAD_PROPERTY. `x` (PUBLISH): a
 * Topic Alias the client chose, written instead of any in `o` (0: none).
 */
export function wProps(o: Properties | undefined, t: number, x?: number | false): void {
  var p = reserve4(), i: number, k: any, v: any, a: any, j: number, n: number;
  if (o)
    for (i = 1; i < 43; i++) {
      v = (o as any)[NAMES[i]];
      // (x >= 0: a number or false)
      if (v == null || (i == 35 /* topic alias */ && (x as number) >= 0)) continue;
      if (!((MASKS[i]! >> t) & 1)) fail(BAD_PROPERTY);
      if (i == 38 /* user property */) {
        for (k in v)
          if (Object.prototype.hasOwnProperty.call(v, k)) {
            // a repeated key: an array of values, one pair each
            a = isStr(v[k]) ? [v[k]] : v[k];
            for (j = 0; j < a.length; j++) {
              w8(i);
              // (as a string: on Espruino for-in gives a name like "123" as a number)
              wStr("" + k);
              wStr(a[j]);
            }
          }
      } else {
        a = i == 11 /* subscription identifier */ && typeof v != "number" ? v : [v];
        for (j = 0; j < a.length; j++) {
          need(8);
          w8(i);
          k = +KINDS[i];
          v = a[j];
          if (k < 5) for (n = k || 1; n--; ) w8(v >>> (n * 8)); // big-endian integer, 1..4 bytes
          else if (k == 5) wVbi(v);
          else wStr(v);
        }
      }
    }
  // (a Topic Alias, two bytes; reserve4() left room)
  if (x) w8(35), w16(x);
  vbiFill(p);
}

/** Per-identifier "seen in this block" marks: equal to `gen` means seen. */
var seen: number[] = [];
var gen = 0;

/**
 * Reads a property block of packet type `t` (0: will). Returns undefined for
 * an empty block, like mqtt-packet. Errors: BAD_PROPERTY (unknown, not
 * allowed here, boolean/QoS byte not 0 or 1), DUP_PROPERTY, MALFORMED.
 */
export function rProps(t: number): Properties | undefined {
  var l = rVbi(), end = rp + l, o: any, i: number, k: number, v: any, n: string;
  gen++;
  if (end > re) {
    rFail(MALFORMED);
    end = re;
  }
  while (rp < end) {
    o = o || {};
    i = rVbi();
    if (!((MASKS[i]! >> t) & 1)) {
      rFail(BAD_PROPERTY);
      break;
    }
    n = NAMES[i];
    k = +KINDS[i];
    if (i == 38 /* user property */) {
      var u = (o[n] = o[n] || Object.create(null)), key = rStr();
      v = rStr();
      u[key] = key in u ? [].concat(u[key], v) : v;
      continue;
    }
    if (seen[i] == gen && !(i == 11 /* subscription identifier */ && t == 3)) {
      rFail(DUP_PROPERTY);
      break;
    }
    seen[i] = gen;
    if (k < 5) for (v = 0, l = k || 1; l--; ) v = v * 256 + r8(); // big-endian integer, 1..4 bytes
    else v = k == 5 ? rVbi() : k == 6 ? rStr() : rBin();
    if (k < 2 && v > 1) rFail(BAD_PROPERTY);
    // repeated subscription identifiers (PUBLISH) collect into an array
    o[n] = n in o ? [].concat(o[n], v) : k ? v : !!v;
  }
  if (rp != end) rFail(MALFORMED);
  return o;
}
