/** Encoder contracts: error results, the reused buffer, writers, UTF-8 strings. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { encode, encodeAck, encodeConnect, encodePublish, encodeSubscribe } from "../src/codec/encode";
import * as E from "../src/codec/errors";
import { Writer } from "../src/codec/writer";
import { decodeAll, hex } from "./support/oracle";

const pub = (topic: string, payload: Uint8Array | string, extra: any = {}) =>
  ({ type: 3, topic, payload, qos: 0, retain: false, dup: false, ...extra }) as any;

test("a topic of 65536 UTF-8 bytes gives TOO_LONG", () => {
  assert.is(encodePublish(pub("a".repeat(65536), ""), 4), E.TOO_LONG);
});
test("a topic of 65535 bytes is encoded", () => {
  const b = encodePublish(pub("a".repeat(65535), ""), 4) as Uint8Array;
  // remaining length 2 + 65535 = 65537 = 81 80 04
  assert.is(hex(b.subarray(0, 6)), "30818004ffff");
  assert.is(b.length, 4 + 65537);
});
test("a 3-byte character pushes a 21846-char topic over 65535 bytes: TOO_LONG", () => {
  assert.is(encodePublish(pub("€".repeat(21846), ""), 4), E.TOO_LONG);
});
test("a password over 65535 bytes gives TOO_LONG", () => {
  const r = encodeConnect({ type: 1, protocolVersion: 4, clientId: "c", clean: true, keepalive: 0, username: "u", password: new Uint8Array(65536) });
  assert.is(r, E.TOO_LONG);
});
test("a packet over writer.max gives PACKET_TOO_LARGE; exactly max is fine", () => {
  const w = new Writer();
  w.max = 10;
  // header 2 + topic 3 + payload 5 = 10
  assert.is(hex(encodePublish(pub("t", "12345"), 4, w)), "3008000174" + "3132333435");
  assert.is(encodePublish(pub("t", "123456"), 4, w), E.PACKET_TOO_LARGE);
});
test("a property the packet does not allow gives BAD_PROPERTY (5.0)", () => {
  const r = encodeSubscribe({ type: 8, messageId: 1, subscriptions: [{ topic: "t", qos: 0 }], properties: { topicAlias: 1 } }, 5);
  assert.is(r, E.BAD_PROPERTY);
});
test("properties are ignored in 3.1.1", () => {
  assert.is(hex(encodePublish(pub("t", "", { properties: { topicAlias: 1 } }), 4)), "3003000174");
});
test("AUTH in 3.1.1 gives BAD_TYPE", () => {
  assert.is(encode({ type: 15, reasonCode: 0 }, 4), E.BAD_TYPE);
});
test("after an error the writer encodes the next packet normally", () => {
  assert.is(encodePublish(pub("a".repeat(70000), ""), 4), E.TOO_LONG);
  assert.is(hex(encodePublish(pub("t", "x"), 4)), "300400017478");
});

test("encoding the same shape of QoS 0 PUBLISH again returns the same view (no allocation)", () => {
  const w = new Writer();
  const a = encodePublish(pub("sensors/temp/001", "21.5"), 4, w);
  const b = encodePublish(pub("sensors/temp/002", "21.7"), 4, w);
  assert.ok(a === b);
  assert.is(hex(b), hex(new TextEncoder().encode("\x30\x16\x00\x10sensors/temp/00221.7")));
});
test("a different size gets a new view with the right bytes", () => {
  const w = new Writer();
  const a = encodePublish(pub("t", "1"), 4, w);
  const b = encodePublish(pub("t", "12"), 4, w);
  assert.ok(a !== b);
  assert.is(hex(b), "30050001743132");
});
test("the returned bytes are a view of the writer's buffer, overwritten by the next encode", () => {
  const w = new Writer();
  const a = encodeAck(4, 1, 4, undefined, undefined, w) as Uint8Array;
  assert.ok(a.buffer === w._b.buffer);
  encodeAck(4, 2, 4, undefined, undefined, w);
  assert.is(hex(a), "40020002");
});
test("an own Writer keeps its bytes while the default writer encodes", () => {
  const w = new Writer();
  const a = encodeAck(4, 1, 4, undefined, undefined, w) as Uint8Array;
  encodeAck(4, 2, 4);
  assert.is(hex(a), "40020001");
});
test("the writer grows from 8 bytes to a 1 KB payload and a 100 KB payload", () => {
  const w = new Writer(8);
  const big = new Uint8Array(1024).map((_, i) => i);
  const b = encodePublish(pub("t", big), 4, w) as Uint8Array;
  assert.is(b.length, 3 + 3 + 1024);
  assert.is(hex(b.subarray(0, 6)), "3083080001" + "74");
  assert.is(hex(b.subarray(6)), hex(big));
  const huge = new Uint8Array(100000).fill(9);
  const r = decodeAll(encodePublish(pub("t", huge), 4, w) as Uint8Array, 4);
  assert.is((r.packets[0] as any).payload.length, 100000);
});
test("a string payload is written as UTF-8", () => {
  assert.is(hex(encodePublish(pub("t", "é€"), 4)), "3008000174" + "c3a9e282ac");
});
test("topics: 2, 3 and 4-byte characters are UTF-8", () => {
  assert.is(hex(encodePublish(pub("é€😀", ""), 4)), "300b0009" + "c3a9" + "e282ac" + "f09f9880");
});
test("a lone surrogate is written as U+FFFD", () => {
  assert.is(hex(encodePublish(pub("a\ud800b\udc00", ""), 4)), "300a0008" + "61efbfbd62efbfbd");
});
test("5.0 property block lengths over 127 bytes take a 2-byte varint", () => {
  const b = encodePublish(pub("t", "", { properties: { contentType: "c".repeat(200) } }), 5) as Uint8Array;
  // props: 03 00 c8 + 200 = 203 = cb 01; remaining 3 + 2 + 203 = 208 = d0 01
  assert.is(hex(b.subarray(0, 8)), "30d001000174cb01");
  const r = decodeAll(b, 5);
  assert.equal(r.errors, []);
  assert.is((r.packets[0] as any).properties.contentType, "c".repeat(200));
});
test("5.0 user properties with repeated keys are written as one pair each", () => {
  const b = encodePublish(pub("t", "", { properties: { userProperties: { k: ["a", "b"] } } }), 5);
  assert.is(hex(b), "30120001740e" + "2600016b000161" + "2600016b000162");
});
test("5.0 booleans are written as bytes 0 and 1", () => {
  const b = encodeConnect({ type: 1, protocolVersion: 5, clientId: "", clean: true, keepalive: 0, properties: { requestProblemInformation: false, requestResponseInformation: true } });
  assert.is(hex(b), "101100044d5154540502000004" + "1700" + "1901" + "0000");
});

test.run();
