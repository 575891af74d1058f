/**
 * Every malformed input the decoder must reject, with its error code; and
 * the failed state that follows.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Decoder } from "../src/codec/decoder";
import * as E from "../src/codec/errors";
import type { ProtocolVersion } from "../src/codec/packet";
import { decodeAll, unhex } from "./support/oracle";

/** Decodes hex in one chunk; returns the error codes and the packet count. */
function run(h: string, v: ProtocolVersion = 4, max?: number) {
  const r = decodeAll(unhex(h), v, { max });
  return { errors: r.errors, packets: r.packets.length };
}

const CASES: [string, ProtocolVersion, string, string, number?][] = [
  // [name, version, bytes, code, maxPacketSize]
  ["remaining length over maxPacketSize (header alone is enough)", 4, "30 14", E.PACKET_TOO_LARGE, 10],
  ["packet one byte over maxPacketSize", 4, "30 09 00 01 74 01 02 03 04 05 06", E.PACKET_TOO_LARGE, 10],
  ["remaining length with a 5th byte", 4, "30 ff ff ff ff 01", E.BAD_LENGTH],
  ["remaining length non-minimal in 5.0 (80 00 for 0)", 5, "d0 80 00", E.BAD_LENGTH],
  ["remaining length non-minimal in 5.0 (82 80 00 for 2)", 5, "40 82 80 00 00 01", E.BAD_LENGTH],
  ["packet type 0", 4, "00 00", E.BAD_TYPE],
  ["packet type 15 (AUTH) in 3.1.1", 4, "f0 00", E.BAD_TYPE],
  ["PINGRESP with a flag bit [MQTT-2.2.2-2]", 4, "d1 00", E.BAD_FLAGS],
  ["CONNACK with flags 0001", 4, "21 02 00 00", E.BAD_FLAGS],
  ["PUBACK with flags 0010", 4, "42 02 00 01", E.BAD_FLAGS],
  ["PUBREL with flags 0000 [MQTT-3.6.1-1]", 4, "60 02 00 01", E.BAD_FLAGS],
  ["SUBSCRIBE with flags 0000 [MQTT-3.8.1-1]", 4, "80 06 00 01 00 01 74 00", E.BAD_FLAGS],
  ["UNSUBSCRIBE with flags 0011", 4, "a3 05 00 01 00 01 74", E.BAD_FLAGS],
  ["CONNACK with reserved acknowledge flag bits [MQTT-3.2.2-1]", 4, "20 02 02 00", E.BAD_FLAGS],
  ["CONNECT with the reserved flag set [MQTT-3.1.2-3]", 4, "10 0d 00 04 4d 51 54 54 04 03 00 3c 00 01 63", E.BAD_FLAGS],
  ["CONNECT with will QoS but no will flag [MQTT-3.1.2-13]", 4, "10 0d 00 04 4d 51 54 54 04 0a 00 3c 00 01 63", E.BAD_FLAGS],
  ["CONNECT with will QoS 3 [MQTT-3.1.2-14]", 4, "10 12 00 04 4d 51 54 54 04 1e 00 3c 00 01 63 00 01 77 00 00", E.BAD_QOS],
  ["CONNECT with protocol name MQTX", 4, "10 0d 00 04 4d 51 54 58 04 02 00 3c 00 01 63", E.BAD_PROTOCOL],
  ["CONNECT with protocol level 3", 4, "10 0d 00 04 4d 51 54 54 03 02 00 3c 00 01 63", E.BAD_PROTOCOL],
  ["SUBSCRIBE with reserved option bits in 3.1.1 [MQTT-3.8.3-4]", 4, "82 06 00 01 00 01 74 04", E.BAD_FLAGS],
  ["SUBSCRIBE with reserved option bits 6-7 in 5.0 [MQTT-3.8.3-5]", 5, "82 07 00 01 00 00 01 74 40", E.BAD_FLAGS],
  ["SUBSCRIBE with retain handling 3", 5, "82 07 00 01 00 00 01 74 30", E.BAD_FLAGS],
  ["SUBSCRIBE with QoS 3", 4, "82 06 00 01 00 01 74 03", E.BAD_QOS],
  ["SUBSCRIBE without topic filters [MQTT-3.8.3-3]", 4, "82 02 00 01", E.MALFORMED],
  ["UNSUBSCRIBE without topic filters [MQTT-3.10.3-2]", 4, "a2 02 00 01", E.MALFORMED],
  ["PUBLISH with QoS 3 [MQTT-3.3.1-4]", 4, "36 05 00 01 74 00 01", E.BAD_QOS],
  ["PUBLISH topic with overlong encoding c0 af", 4, "30 04 00 02 c0 af", E.BAD_UTF8],
  ["PUBLISH topic with overlong 3-byte encoding e0 80 af", 4, "30 05 00 03 e0 80 af", E.BAD_UTF8],
  ["PUBLISH topic with overlong 4-byte encoding f0 80 80 af", 4, "30 06 00 04 f0 80 80 af", E.BAD_UTF8],
  ["PUBLISH topic with a UTF-16 surrogate ed a0 80 [MQTT-1.5.3-1]", 4, "30 05 00 03 ed a0 80", E.BAD_UTF8],
  ["PUBLISH topic with a code point over U+10FFFF", 4, "30 06 00 04 f4 90 80 80", E.BAD_UTF8],
  ["PUBLISH topic with a truncated sequence e2 82", 4, "30 05 00 02 e2 82 41", E.BAD_UTF8],
  ["PUBLISH topic with a stray continuation byte", 4, "30 04 00 02 61 80", E.BAD_UTF8],
  ["PUBLISH topic with byte ff", 4, "30 03 00 01 ff", E.BAD_UTF8],
  ["PUBLISH topic with U+0000 [MQTT-1.5.3-2]", 4, "30 05 00 03 61 00 62", E.BAD_UTF8],
  ["PUBLISH topic longer than the packet", 4, "30 04 00 05 61 62", E.MALFORMED],
  ["PUBLISH QoS 1 without room for a packet id", 4, "32 03 00 01 74", E.MALFORMED],
  ["CONNACK too short", 4, "20 01 00", E.MALFORMED],
  ["PUBACK with a trailing byte in 3.1.1", 4, "40 03 00 01 00", E.MALFORMED],
  ["PINGRESP with a body", 4, "d0 01 00", E.MALFORMED],
  ["UNSUBACK with reason codes in 3.1.1", 4, "b0 03 00 01 00", E.MALFORMED],
  ["5.0 property block longer than the packet", 5, "30 06 00 01 74 09 23 00", E.MALFORMED],
  ["5.0 property running past its block", 5, "30 08 00 01 74 02 23 00 03 78", E.MALFORMED],
  ["5.0 unknown property 0x04", 5, "30 07 00 01 74 02 04 00 78", E.BAD_PROPERTY],
  ["5.0 topic alias in CONNACK (not allowed there)", 5, "20 06 00 00 03 23 00 01", E.BAD_PROPERTY],
  ["5.0 session expiry in PUBLISH (not allowed there)", 5, "30 09 00 01 74 05 11 00 00 00 01", E.BAD_PROPERTY],
  ["5.0 boolean property with value 2", 5, "20 05 00 00 02 25 02", E.BAD_PROPERTY],
  ["5.0 maximum QoS 2 (only 0 or 1 may be sent)", 5, "20 05 00 00 02 24 02", E.BAD_PROPERTY],
  ["5.0 duplicated topic alias", 5, "30 0b 00 01 74 06 23 00 01 23 00 02 78", E.DUP_PROPERTY],
  ["5.0 two subscription identifiers in SUBSCRIBE", 5, "82 0b 00 01 04 0b 01 0b 02 00 01 74 00", E.DUP_PROPERTY],
  ["5.0 duplicated reason string in PUBACK", 5, "40 0c 00 01 00 08 1f 00 01 61 1f 00 01 62", E.DUP_PROPERTY],
  ["5.0 property length varint with a 5th byte", 5, "30 09 00 01 74 ff ff ff ff 01 00", E.BAD_LENGTH],
  ["5.0 property string with invalid UTF-8", 5, "30 09 00 01 74 04 03 00 01 c0 78", E.BAD_UTF8],
];

for (const [name, v, h, code, max] of CASES) {
  test(`${name}: ${code}`, () => {
    assert.equal(run(h, v, max), { errors: [code], packets: 0 });
  });
}

// accepted counterparts of the duplicate rules: these may repeat
test("5.0 user property may repeat: values collect under the key", () => {
  const r = decodeAll(unhex("30 13 00 01 74 0e 26 00 01 6b 00 01 61 26 00 01 6b 00 01 62 78"), 5);
  assert.equal(r.errors, []);
  assert.equal({ ...(r.packets[0] as any).properties.userProperties }, { k: ["a", "b"] });
});
test("5.0 subscription identifier may repeat in PUBLISH: an array", () => {
  const r = decodeAll(unhex("30 09 00 01 74 04 0b 01 0b 02 78"), 5);
  assert.equal(r.errors, []);
  assert.equal((r.packets[0] as any).properties.subscriptionIdentifier, [1, 2]);
});
test("3.1.1 accepts a non-minimal remaining length (only 5.0 forbids it)", () => {
  assert.equal(run("d0 80 00", 4), { errors: [], packets: 1 });
});
test("remaining length of exactly maxPacketSize bytes in total is accepted", () => {
  assert.equal(run("30 08 00 01 74 01 02 03 04 05", 4, 10), { errors: [], packets: 1 });
});
test("a user property key __proto__ stays data", () => {
  const r = decodeAll(unhex("30 14 00 01 74 0f 26 00 09 5f 5f 70 72 6f 74 6f 5f 5f 00 01 61 78"), 5);
  assert.equal(r.errors, []);
  const u = (r.packets[0] as any).properties.userProperties;
  assert.is(Object.getPrototypeOf(u), null);
  assert.is(u["__proto__"], "a");
});

// the failed state
test("after an error the decoder ignores further bytes, even valid packets", () => {
  const codes: string[] = [];
  let packets = 0;
  const d = new Decoder(4, 1000, { onPacket: () => packets++, onError: (e) => codes.push(e.code) });
  d.push(unhex("00 00 d0 00"));
  d.push(unhex("d0 00"));
  assert.equal(codes, [E.BAD_TYPE]);
  assert.is(packets, 0);
});
test("reset() clears the failed state and any partial packet", () => {
  const codes: string[] = [];
  let packets = 0;
  const d = new Decoder(4, 1000, { onPacket: () => packets++, onError: (e) => codes.push(e.code) });
  d.push(unhex("00 00"));
  d.reset();
  d.push(unhex("30 05 00")); // partial packet from the next connection's first chunk
  d.reset();
  d.push(unhex("d0 00"));
  assert.equal(codes, [E.BAD_TYPE]);
  assert.is(packets, 1);
});
test("the error arrives as a WrenError with code and message", () => {
  let err: any;
  const d = new Decoder(4, 1000, { onPacket: () => {}, onError: (e) => (err = e) });
  d.push(unhex("36 05 00 01 74 00 01"));
  assert.is(err.code, E.BAD_QOS);
  assert.ok(err instanceof Error);
  assert.is(err.message, E.BAD_QOS);
});
test("packets before the malformed one in the same chunk are delivered", () => {
  assert.equal(run("d0 00 d0 00 00 00 d0 00"), { errors: [E.BAD_TYPE], packets: 2 });
});
test("push never throws on random garbage", () => {
  let seed = 7;
  for (let n = 0; n < 2000; n++) {
    const b = new Uint8Array(1 + (n % 40));
    for (let i = 0; i < b.length; i++) b[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    for (const v of [4, 5] as ProtocolVersion[]) decodeAll(b, v, { size: 1 + (n % 5) });
  }
});

test.run();
