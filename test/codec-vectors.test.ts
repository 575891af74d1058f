/**
 * Exact bytes for every packet type, hand-checked against the specs
 * (3.1.1 section 3, 5.0 section 3): encode gives these bytes and decoding
 * them gives the packet back.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { encode } from "../src/codec/encode";
import type { ProtocolVersion } from "../src/codec/packet";
import { bytes, canon, decodeAll, hex, unhex } from "./support/oracle";

const te = (s: string) => bytes(s);

const VECTORS: [string, ProtocolVersion, any, string][] = [
  // CONNECT: "MQTT", level 4, flags clean, keepalive 60, client id "abc" [MQTT-3.1]
  ["CONNECT 3.1.1", 4, { type: 1, protocolVersion: 4, clientId: "abc", clean: true, keepalive: 60 },
    "10 0f 00 04 4d 51 54 54 04 02 00 3c 00 03 61 62 63"],
  // flags ec = username, password, will retain, will qos 1, will; not clean
  ["CONNECT 3.1.1 with will, username, password", 4,
    { type: 1, protocolVersion: 4, clientId: "c", clean: false, keepalive: 10, username: "u", password: te("p"),
      will: { topic: "w", payload: te("x"), qos: 1, retain: true } },
    "10 19 00 04 4d 51 54 54 04 ec 00 0a 00 01 63 00 01 77 00 01 78 00 01 75 00 01 70"],
  // 5.0: properties (length 5: session expiry 0x11 = 120) after keepalive [MQTT-3.1.2.11]
  ["CONNECT 5.0 with session expiry", 5,
    { type: 1, protocolVersion: 5, clientId: "abc", clean: true, keepalive: 60, properties: { sessionExpiryInterval: 120 } },
    "10 15 00 04 4d 51 54 54 05 02 00 3c 05 11 00 00 00 78 00 03 61 62 63"],
  // 5.0 allows a password without a username [MQTT-3.1.2.9]; will properties before the will topic
  ["CONNECT 5.0 with will properties and password only", 5,
    { type: 1, protocolVersion: 5, clientId: "", clean: true, keepalive: 0, password: te("pw"),
      will: { topic: "w", payload: new Uint8Array(0), qos: 2, retain: false, properties: { willDelayInterval: 1 } } },
    "10 1c 00 04 4d 51 54 54 05 56 00 00 00 00 00 05 18 00 00 00 01 00 01 77 00 00 00 02 70 77"],
  ["CONNACK 3.1.1 session present, accepted", 4, { type: 2, sessionPresent: true, returnCode: 0 }, "20 02 01 00"],
  ["CONNACK 3.1.1 not authorized", 4, { type: 2, sessionPresent: false, returnCode: 5 }, "20 02 00 05"],
  ["CONNACK 5.0 with receive maximum", 5,
    { type: 2, sessionPresent: false, returnCode: 0, properties: { receiveMaximum: 10 } }, "20 06 00 00 03 21 00 0a"],
  ["PUBLISH 3.1.1 QoS 0", 4, { type: 3, topic: "a/b", payload: te("hi"), qos: 0, retain: false, dup: false },
    "30 07 00 03 61 2f 62 68 69"],
  // 3b = PUBLISH | dup | qos 1 | retain
  ["PUBLISH 3.1.1 QoS 1 dup retain", 4,
    { type: 3, topic: "a/b", payload: te("hi"), qos: 1, retain: true, dup: true, messageId: 7 },
    "3b 09 00 03 61 2f 62 00 07 68 69"],
  ["PUBLISH 3.1.1 QoS 2 empty payload", 4,
    { type: 3, topic: "t", payload: new Uint8Array(0), qos: 2, retain: false, dup: false, messageId: 0x1234 },
    "34 05 00 01 74 12 34"],
  ["PUBLISH 5.0 QoS 0 no properties", 5, { type: 3, topic: "a/b", payload: te("hi"), qos: 0, retain: false, dup: false },
    "30 08 00 03 61 2f 62 00 68 69"],
  ["PUBLISH 5.0 with topic alias", 5,
    { type: 3, topic: "a/b", payload: te("hi"), qos: 0, retain: false, dup: false, properties: { topicAlias: 3 } },
    "30 0b 00 03 61 2f 62 03 23 00 03 68 69"],
  ["PUBLISH 5.0 QoS 1 with user property and subscription identifier 128", 5,
    { type: 3, topic: "t", payload: te("x"), qos: 1, retain: false, dup: false, messageId: 1,
      properties: { subscriptionIdentifier: 128, userProperties: { k: "v" } } },
    "32 11 00 01 74 00 01 0a 0b 80 01 26 00 01 6b 00 01 76 78"],
  ["PUBACK 3.1.1", 4, { type: 4, messageId: 7 }, "40 02 00 07"],
  ["PUBREC 3.1.1", 4, { type: 5, messageId: 7 }, "50 02 00 07"],
  // PUBREL has reserved flags 0010 [MQTT-3.6.1-1]
  ["PUBREL 3.1.1", 4, { type: 6, messageId: 7 }, "62 02 00 07"],
  ["PUBCOMP 3.1.1", 4, { type: 7, messageId: 7 }, "70 02 00 07"],
  // 5.0: reason code 0 and no properties: both omitted [MQTT-3.4.2.1]
  ["PUBACK 5.0 success, short form", 5, { type: 4, messageId: 7, reasonCode: 0 }, "40 02 00 07"],
  ["PUBACK 5.0 no matching subscribers", 5, { type: 4, messageId: 7, reasonCode: 0x10 }, "40 03 00 07 10"],
  ["PUBREC 5.0 with reason string", 5, { type: 5, messageId: 7, reasonCode: 0, properties: { reasonString: "x" } },
    "50 08 00 07 00 04 1f 00 01 78"],
  ["PUBREL 5.0 packet id not found", 5, { type: 6, messageId: 1, reasonCode: 0x92 }, "62 03 00 01 92"],
  ["PUBCOMP 5.0", 5, { type: 7, messageId: 1, reasonCode: 0 }, "70 02 00 01"],
  // SUBSCRIBE flags 0010 [MQTT-3.8.1-1]
  ["SUBSCRIBE 3.1.1", 4, { type: 8, messageId: 1, subscriptions: [{ topic: "a/b", qos: 1 }] },
    "82 08 00 01 00 03 61 2f 62 01"],
  // options 2e = retain handling 2, rap, nl, qos 2 [MQTT-3.8.3.1]
  ["SUBSCRIBE 5.0 with options", 5,
    { type: 8, messageId: 1, subscriptions: [{ topic: "a/b", qos: 2, nl: true, rap: true, rh: 2 }] },
    "82 09 00 01 00 00 03 61 2f 62 2e"],
  ["SUBACK 3.1.1", 4, { type: 9, messageId: 1, granted: [1, 0x80] }, "90 04 00 01 01 80"],
  ["SUBACK 5.0", 5, { type: 9, messageId: 1, granted: [1, 0x80] }, "90 05 00 01 00 01 80"],
  ["UNSUBSCRIBE 3.1.1", 4, { type: 10, messageId: 2, unsubscriptions: ["a/b"] }, "a2 07 00 02 00 03 61 2f 62"],
  ["UNSUBSCRIBE 5.0", 5, { type: 10, messageId: 2, unsubscriptions: ["a/b", "c"] }, "a2 0b 00 02 00 00 03 61 2f 62 00 01 63"],
  ["UNSUBACK 3.1.1", 4, { type: 11, messageId: 2 }, "b0 02 00 02"],
  ["UNSUBACK 5.0", 5, { type: 11, messageId: 2, granted: [0, 0x11] }, "b0 05 00 02 00 00 11"],
  ["PINGREQ", 4, { type: 12 }, "c0 00"],
  ["PINGRESP", 4, { type: 13 }, "d0 00"],
  ["PINGREQ 5.0", 5, { type: 12 }, "c0 00"],
  ["DISCONNECT 3.1.1", 4, { type: 14 }, "e0 00"],
  ["DISCONNECT 5.0 normal, short form", 5, { type: 14, reasonCode: 0 }, "e0 00"],
  ["DISCONNECT 5.0 session taken over", 5, { type: 14, reasonCode: 0x8e }, "e0 01 8e"],
  ["DISCONNECT 5.0 with session expiry", 5, { type: 14, reasonCode: 0, properties: { sessionExpiryInterval: 0 } },
    "e0 07 00 05 11 00 00 00 00"],
  ["AUTH 5.0 continue authentication", 5, { type: 15, reasonCode: 0x18, properties: { authenticationMethod: "m" } },
    "f0 06 18 04 15 00 01 6d"],
  ["AUTH 5.0 success, short form", 5, { type: 15, reasonCode: 0 }, "f0 00"],
];

for (const [name, v, packet, bytesHex] of VECTORS) {
  test(`${name}: encodes to ${bytesHex}`, () => {
    assert.is(hex(encode(packet, v)), bytesHex.replace(/ /g, ""));
  });
  test(`${name}: decodes from ${bytesHex}`, () => {
    const got = decodeAll(unhex(bytesHex), v);
    assert.equal(got.errors, []);
    assert.equal(canon(got.packets), [canon(packet)]);
  });
}

// remaining length boundaries [MQTT-2.2.3]: PUBLISH topic "t" (3 bytes) + payload
const LENGTHS: [number, string][] = [
  [0, "00"],
  [127, "7f"],
  [128, "80 01"],
  [16383, "ff 7f"],
  [16384, "80 80 01"],
  [2097151, "ff ff 7f"],
  [2097152, "80 80 80 01"],
];
for (const [len, varint] of LENGTHS) {
  if (len < 3) continue;
  test(`remaining length ${len} is written as ${varint} and read back`, () => {
    const p = { type: 3, topic: "t", payload: new Uint8Array(len - 3).fill(1), qos: 0, retain: false, dup: false };
    const b = encode(p as any, 4) as Uint8Array;
    assert.is(hex(b.subarray(0, 1 + varint.split(" ").length)), "30" + varint.replace(/ /g, ""));
    assert.is(b.length, 1 + varint.split(" ").length + len);
    const got = decodeAll(b, 4, { size: 65536 });
    assert.equal(got.errors, []);
    assert.is((got.packets[0] as any).payload.length, len - 3);
  });
}
test("remaining length 0 is written as 00", () => {
  assert.is(hex(encode({ type: 13 }, 4)), "d000");
});

test.run();
