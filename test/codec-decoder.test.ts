/** Stream framing of the Decoder: splits, batching, buffering, views, version. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Decoder } from "../src/codec/decoder";
import { decodeAnyPacket } from "../src/codec/decode-server";
import { encodePublish } from "../src/codec/encode";
import type { Packet } from "../src/codec/packet";
import { canon, decodeAll, hex, unhex } from "./support/oracle";

function recorder(version: 4 | 5 = 4, max = 1 << 20) {
  const packets: Packet[] = [];
  const errors: string[] = [];
  const d = new Decoder(version, max, { onPacket: (p) => packets.push(p), onError: (e) => errors.push(e.code) }, decodeAnyPacket);
  return { d, packets, errors };
}

test("several packets in one chunk are delivered in order", () => {
  const r = decodeAll(unhex("d0 00 30 03 00 01 74 d0 00 40 02 00 05"), 4);
  assert.equal(r.errors, []);
  assert.equal(r.packets.map((p) => p.type), [13, 3, 13, 4]);
});

test("a remaining length split across chunks (80 | 01) is joined", () => {
  // PUBLISH, remaining length 128 = 80 01: topic "t" + 125 payload bytes
  const b = new Uint8Array(131);
  b.set(unhex("30 80 01 00 01 74"));
  const r = decodeAll(b, 4, { cuts: [2] });
  assert.equal(r.errors, []);
  assert.is(r.packets.length, 1);
  assert.is((r.packets[0] as any).payload.length, 125);
});

test("a packet split after its first byte, then fed one byte at a time", () => {
  const r = decodeAll(unhex("32 06 00 01 74 00 07 41 d0 00"), 4, { size: 1 });
  assert.equal(r.errors, []);
  assert.equal(canon(r.packets), [
    { type: 3, topic: "t", qos: 1, messageId: 7, retain: false, dup: false, payload: "hex:41" },
    { type: 13 },
  ]);
});

test("the partial buffer grows with arriving bytes, not to the advertised length", () => {
  const { d } = recorder(4, 1 << 28);
  // announces a 10,000,000-byte PUBLISH, sends 16 bytes of it
  d.push(unhex("30 80 ad e2 04 00 01 74 01 02 03 04 05 06 07 08"));
  assert.ok(d._p!.length <= 32, `partial buffer is ${d._p!.length} bytes`);
  d.push(new Uint8Array(1000));
  assert.ok(d._p!.length <= 2 * 1016, `partial buffer is ${d._p!.length} bytes`);
  assert.is(d._n, 1016);
});

test("only the trailing incomplete packet is kept; it is dropped once complete", () => {
  const { d, packets } = recorder();
  d.push(unhex("d0 00 d0 00 30 05 00 01"));
  assert.is(packets.length, 2);
  assert.is(d._n, 4);
  d.push(unhex("74 41 42 d0"));
  assert.is(packets.length, 3);
  assert.is(d._n, 1);
  d.push(unhex("00"));
  assert.is(packets.length, 4);
  assert.is(d._n, 0);
});

test("a PUBLISH payload inside a chunk is a view of that chunk, not a copy", () => {
  const { d, packets } = recorder();
  const chunk = unhex("d0 00 30 06 00 01 74 41 42 43 d0 00");
  d.push(chunk);
  const p = packets[1] as any;
  assert.ok(p.payload.buffer === chunk.buffer);
  assert.is(p.payload.byteOffset, 7);
  assert.is(hex(p.payload), "414243");
});

test("version can be changed per connection: 5.0 properties are read only when 5", () => {
  const { d, packets, errors } = recorder(4);
  d.push(unhex("30 04 00 01 74 00")); // 3.1.1: payload 00
  d.version = 5;
  d.push(unhex("30 04 00 01 74 00")); // 5.0: empty properties, empty payload
  assert.equal(errors, []);
  assert.is(hex((packets[0] as any).payload), "00");
  assert.is(hex((packets[1] as any).payload), "");
});

test("decoding a CONNECT sets the version from its protocol level (server side)", () => {
  const { d, packets, errors } = recorder(4);
  d.push(unhex("10 10 00 04 4d 51 54 54 05 02 00 3c 00 00 03 61 62 63"));
  assert.equal(errors, []);
  assert.is(d.version, 5);
  d.push(unhex("82 07 00 01 00 00 01 74 21"));
  assert.equal(errors, []);
  assert.equal(canon(packets[1]), { type: 8, messageId: 1, subscriptions: [{ topic: "t", qos: 1, nl: false, rap: false, rh: 2 }] });
});

test("reset() from inside onPacket drops the rest of the chunk", () => {
  let n = 0;
  const d: Decoder = new Decoder(4, 1000, {
    onPacket: () => {
      n++;
      d.reset();
    },
    onError: () => assert.unreachable(),
  });
  d.push(unhex("d0 00 d0 00 30"));
  assert.is(n, 1);
  assert.is(d._n, 0);
  d.push(unhex("d0 00"));
  assert.is(n, 2);
});

test("a PUBLISH completed from the partial buffer decodes like one in a chunk", () => {
  const b = encodePublish({ type: 3, topic: "a/b", payload: "x".repeat(300), qos: 0, retain: false, dup: false }, 4) as Uint8Array;
  const whole = decodeAll(b, 4);
  for (const cut of [1, 2, 3, 5, 100, b.length - 1]) assert.equal(canon(decodeAll(b, 4, { cuts: [cut] }).packets), canon(whole.packets));
});

test("empty chunks are harmless", () => {
  const { d, packets, errors } = recorder();
  d.push(new Uint8Array(0));
  d.push(unhex("d0"));
  d.push(new Uint8Array(0));
  d.push(unhex("00"));
  assert.equal(errors, []);
  assert.is(packets.length, 1);
});

test("a client decoder (decodePacket) rejects packets only a server receives: BAD_TYPE", () => {
  for (const h of ["10 0d 00 04 4d 51 54 54 04 02 00 3c 00 01 63", "82 06 00 01 00 01 74 00", "a2 05 00 01 00 01 74", "c0 00", "e0 00"])
    assert.equal(decodeAll(unhex(h), 4, { client: true }).errors, ["BAD_TYPE"], h);
});

test("a client decoder (decodePacket) takes what a client receives", () => {
  const r = decodeAll(unhex("20 02 00 00 30 03 00 01 74 40 02 00 01 50 02 00 01 62 02 00 01 70 02 00 01 90 03 00 01 00 b0 02 00 01 d0 00"), 4, { client: true });
  assert.equal(r.errors, []);
  assert.equal(r.packets.map((p) => p.type), [2, 3, 4, 5, 6, 7, 9, 11, 13]);
});

test("a client decoder (decodePacket) takes a 5.0 DISCONNECT and AUTH from the server", () => {
  const r = decodeAll(unhex("e0 01 8e f0 00"), 5, { client: true });
  assert.equal(r.errors, []);
  assert.equal(canon(r.packets), [{ type: 14, reasonCode: 0x8e }, { type: 15, reasonCode: 0 }]);
});

test("a decoder given decodeAnyPacket decodes server-side packets too", () => {
  const { d, packets, errors } = (() => {
    const packets: Packet[] = [];
    const errors: string[] = [];
    return { d: new Decoder(4, 1000, { onPacket: (p) => packets.push(p), onError: (e) => errors.push(e.code) }, decodeAnyPacket), packets, errors };
  })();
  d.push(unhex("c0 00 82 06 00 01 00 01 74 00"));
  assert.equal(errors, []);
  assert.equal(packets.map((p) => p.type), [12, 8]);
});

test.run();
