/**
 * Differential tests against mqtt-packet: our bytes parse there to the same
 * fields, its bytes decode here to the same fields, for every packet type and
 * both protocol levels; random packets (fast-check, fixed seed); a stream of
 * mixed packets split at every byte.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { encode } from "../src/codec/encode";
import type { ProtocolVersion } from "../src/codec/packet";
import { canon, CMDS, concat, decodeAll, hex, mqttGenerate, mqttParse, samplePackets } from "./support/oracle";

const VERSIONS: ProtocolVersion[] = [4, 5];

function ours(p: any, v: ProtocolVersion): Uint8Array {
  const r = encode(p, v);
  if (typeof r == "string") throw new Error("encode failed: " + r);
  return r.slice();
}

for (const v of VERSIONS) {
  for (const p of samplePackets(v)) {
    const name = `v${v} ${CMDS[p.type]} ${hex(ours(p, v)).slice(0, 24)}`;
    // mqtt-packet cannot parse the short AUTH (no reason code) that 5.0 allows [MQTT-3.15.2.1]
    if (!(p.type == 15 && !p.reasonCode && !p.properties))
    test(`${name}: our bytes parse in mqtt-packet to the same fields`, () => {
      const got = mqttParse(ours(p, v), v);
      assert.is(got.length, 1);
      assert.equal(canon(got[0]), canon(p));
    });
    test(`${name}: mqtt-packet's bytes decode here to the same fields`, () => {
      const got = decodeAll(mqttGenerate(p, v), v);
      assert.equal(got.errors, []);
      assert.is(got.packets.length, 1);
      assert.equal(canon(got.packets[0]), canon(p));
    });
    // mqtt-packet always writes 5.0 reason codes and property lengths; we omit them when allowed
    if (v == 4 || (!p.properties && !(p.will && p.will.properties) && !("reasonCode" in p)))
      test(`${name}: same bytes as mqtt-packet`, () => {
        assert.is(hex(ours(p, v)), hex(mqttGenerate(p, v)));
      });
  }
}

// ---- random packets ----

const SEED = 20240607;
const str = fc.string({ unit: "binary", maxLength: 20 }).filter((s) => !s.includes("\u0000"));
const bin = fc.uint8Array({ maxLength: 40 });
const id = fc.integer({ min: 1, max: 65535 });
const qos = fc.constantFrom(0, 1, 2);
const u16 = fc.integer({ min: 1, max: 65535 });
const u32 = fc.integer({ min: 0, max: 4294967295 });
// mqtt-packet loses a repeated key's earlier value when it is "": values are non-empty
const value = str.filter((s) => s != "");
const userProps = fc.dictionary(
  str.filter((k) => k != "__proto__"),
  fc.oneof(value, fc.array(value, { minLength: 2, maxLength: 3 })),
  { minKeys: 1, maxKeys: 3 },
);

function props(v: ProtocolVersion, fields: Record<string, fc.Arbitrary<any>>): fc.Arbitrary<any> {
  if (v == 4) return fc.constant(undefined);
  return fc.option(fc.record({ ...fields, userProperties: userProps }, { requiredKeys: [] }), { nil: undefined }).map(
    (o) => (o && Object.keys(o).length ? o : undefined),
  );
}

function arbPacket(v: ProtocolVersion): fc.Arbitrary<any> {
  const v5 = v == 5;
  const rc = v5 ? fc.integer({ min: 0, max: 255 }) : fc.constant(undefined);
  const reasonString = { reasonString: str };
  const publish = fc.record({
    type: fc.constant(3),
    topic: str,
    payload: bin,
    qos,
    retain: fc.boolean(),
    dup: fc.boolean(),
    messageId: id,
    properties: props(v, {
      payloadFormatIndicator: fc.boolean(),
      messageExpiryInterval: u32,
      contentType: str,
      responseTopic: str,
      correlationData: bin,
      topicAlias: u16,
      subscriptionIdentifier: fc.integer({ min: 1, max: 268435455 }),
    }),
  }).map((p) => (p.qos ? p : { ...p, messageId: undefined }));
  const connect = fc.record({
    type: fc.constant(1),
    protocolVersion: fc.constant(v),
    clientId: str,
    clean: fc.boolean(),
    keepalive: fc.integer({ min: 0, max: 65535 }),
    username: fc.option(str, { nil: undefined }),
    password: fc.option(bin, { nil: undefined }),
    will: fc.option(
      fc.record({
        topic: value,
        payload: bin,
        qos,
        retain: fc.boolean(),
        properties: props(v, { willDelayInterval: u32, payloadFormatIndicator: fc.boolean(), correlationData: bin }),
      }),
      { nil: undefined },
    ),
    properties: props(v, {
      sessionExpiryInterval: u32,
      receiveMaximum: u16,
      maximumPacketSize: fc.integer({ min: 1, max: 4294967295 }),
      topicAliasMaximum: fc.integer({ min: 0, max: 65535 }),
      requestResponseInformation: fc.boolean(),
      requestProblemInformation: fc.boolean(),
      authenticationMethod: str,
      authenticationData: bin,
    }),
  })
    // 3.1.1: a password needs a username [MQTT-3.1.2-22] (mqtt-packet insists in 5.0 too);
    // an empty client id needs clean [MQTT-3.1.3-7]
    .map((p) => (p.password && p.username == null ? { ...p, username: "" } : p))
    .map((p) => (p.clientId == "" ? { ...p, clean: true } : p));
  const connack = fc.record({
    type: fc.constant(2),
    sessionPresent: fc.boolean(),
    returnCode: v5 ? fc.constantFrom(0, 0x80, 0x87, 0x9c) : fc.integer({ min: 0, max: 5 }),
    properties: props(v, { assignedClientIdentifier: str, serverKeepAlive: fc.integer({ min: 0, max: 65535 }), maximumQoS: fc.constantFrom(0, 1), retainAvailable: fc.boolean(), ...reasonString }),
  });
  const ack = fc.record({
    type: fc.constantFrom(4, 5, 6, 7),
    messageId: id,
    reasonCode: v5 ? fc.constantFrom(0, 0x10, 0x80) : fc.constant(undefined),
    properties: props(v, reasonString),
  }).map((p) => (v5 && p.type > 5 && p.reasonCode ? { ...p, reasonCode: 0x92 } : p));
  const sub = fc.record({
    type: fc.constant(8),
    messageId: id,
    subscriptions: fc.array(
      v5
        ? fc.record({ topic: str, qos, nl: fc.boolean(), rap: fc.boolean(), rh: fc.constantFrom(0, 1, 2) })
        : fc.record({ topic: str, qos }),
      { minLength: 1, maxLength: 4 },
    ),
    properties: props(v, { subscriptionIdentifier: fc.integer({ min: 1, max: 268435455 }) }),
  });
  const suback = fc.record({
    type: fc.constant(9),
    messageId: id,
    granted: fc.array(v5 ? fc.constantFrom(0, 1, 2, 0x80, 0x87) : fc.constantFrom(0, 1, 2, 0x80), { minLength: 1, maxLength: 4 }),
    properties: props(v, reasonString),
  });
  const unsub = fc.record({
    type: fc.constant(10),
    messageId: id,
    unsubscriptions: fc.array(str, { minLength: 1, maxLength: 4 }),
    properties: props(v, {}),
  });
  const unsuback = fc.record({
    type: fc.constant(11),
    messageId: id,
    granted: v5 ? fc.array(fc.constantFrom(0, 0x11, 0x80), { minLength: 1, maxLength: 4 }) : fc.constant(undefined),
    properties: props(v, reasonString),
  });
  const simple = fc.constantFrom({ type: 12 }, { type: 13 });
  const disconnect = fc.record({
    type: fc.constant(14),
    reasonCode: v5 ? fc.constantFrom(0, 4, 0x8e) : fc.constant(undefined),
    properties: props(v, { sessionExpiryInterval: u32, serverReference: str, ...reasonString }),
  })
    // mqtt-packet misreads the short 5.0 DISCONNECT (e0 00) when more bytes follow it
    .map((p) => (v5 && !p.reasonCode && !p.properties ? { ...p, reasonCode: 4 } : p));
  const all: fc.Arbitrary<any>[] = [publish, connect, connack, ack, sub, suback, unsub, unsuback, simple, disconnect];
  if (v5)
    all.push(
      fc.record({
        type: fc.constant(15),
        reasonCode: fc.constantFrom(0, 0x18, 0x19),
        properties: props(v, { authenticationMethod: str, authenticationData: bin, ...reasonString }),
      })
        // mqtt-packet cannot parse the short AUTH (f0 00)
        .map((p) => (!p.reasonCode && !p.properties ? { ...p, reasonCode: 0x18 } : p)),
    );
  return fc.oneof(...all);
}

for (const v of VERSIONS) {
  test(`v${v}: random packets: our bytes parse in mqtt-packet to the same fields`, () => {
    fc.assert(
      fc.property(arbPacket(v), (p) => {
        const b = ours(p, v);
        assert.equal(canon(mqttParse(b, v)), canon(decodeAll(b, v).packets));
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
  test(`v${v}: random packets: mqtt-packet's bytes decode here to the same fields`, () => {
    fc.assert(
      fc.property(arbPacket(v), (p) => {
        const b = mqttGenerate(p, v);
        const got = decodeAll(b, v);
        assert.equal(got.errors, []);
        assert.equal(canon(got.packets), canon(mqttParse(b, v)));
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
  test(`v${v}: random packets round-trip through our encoder and decoder`, () => {
    fc.assert(
      fc.property(arbPacket(v), (p) => {
        const got = decodeAll(ours(p, v), v);
        assert.equal(got.errors, []);
        assert.is(got.packets.length, 1);
        // re-encoding the decoded packet gives the same bytes
        assert.is(hex(ours(got.packets[0], v)), hex(ours(p, v)));
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
}

// ---- one stream of 50 mixed packets, split everywhere ----

for (const v of VERSIONS) {
  const packets = fc.sample(arbPacket(v), { seed: SEED + v, numRuns: 50 });
  const stream = concat(packets.map((p) => ours(p, v)));
  const expected = canon(mqttParse(stream, v));

  test(`v${v}: a stream of 50 packets decodes like mqtt-packet in one chunk`, () => {
    assert.is(expected.length, 50);
    const got = decodeAll(stream, v);
    assert.equal(got.errors, []);
    assert.equal(canon(got.packets), expected);
  });

  test(`v${v}: the 50-packet stream split at every single index decodes the same`, () => {
    for (let i = 1; i < stream.length; i++) {
      const got = decodeAll(stream, v, { cuts: [i] });
      if (got.errors.length || got.packets.length != 50) assert.unreachable(`split at ${i}: ${got.errors}`);
      assert.equal(canon(got.packets), expected, `split at ${i}`);
    }
  });

  test(`v${v}: the 50-packet stream in 1-byte chunks decodes the same`, () => {
    const got = decodeAll(stream, v, { size: 1 });
    assert.equal(got.errors, []);
    assert.equal(canon(got.packets), expected);
  });

  test(`v${v}: the 50-packet stream in 7-byte chunks decodes the same`, () => {
    const got = decodeAll(stream, v, { size: 7 });
    assert.equal(got.errors, []);
    assert.equal(canon(got.packets), expected);
  });
}

test.run();
