/**
 * The 5.0 property table (src/codec/properties.ts, indexed by identifier):
 * every one of the 27 properties, each in a packet that allows it, parses
 * with mqtt-packet as it was given and decodes back; what mqtt-packet
 * generates (in its own property order) decodes to the same.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { encode } from "../src/codec/encode";
import { bytes, canon, decodeAll, mqttGenerate, mqttParse } from "./support/oracle";
import { buildWithEspruinoKeys } from "./support/espruino-keys";

const PACKETS: any[] = [
  {
    type: 1, protocolVersion: 5, clientId: "c", clean: true, keepalive: 10,
    will: { topic: "w", payload: bytes("x"), qos: 0, retain: false, properties: { willDelayInterval: 7, payloadFormatIndicator: true, messageExpiryInterval: 9, contentType: "t/p", responseTopic: "r", correlationData: bytes("cd") } },
    properties: { sessionExpiryInterval: 60, receiveMaximum: 5, maximumPacketSize: 2000, topicAliasMaximum: 3, requestResponseInformation: true, requestProblemInformation: false, authenticationMethod: "M", authenticationData: bytes("d") },
  },
  {
    type: 2, sessionPresent: true, returnCode: 0,
    properties: { assignedClientIdentifier: "id", serverKeepAlive: 30, responseInformation: "ri", serverReference: "sr", reasonString: "ok", maximumQoS: 1, retainAvailable: true, wildcardSubscriptionAvailable: false, subscriptionIdentifiersAvailable: true, sharedSubscriptionAvailable: true, userProperties: { a: "b" } },
  },
  { type: 3, topic: "t", payload: bytes("p"), qos: 1, retain: false, dup: false, messageId: 1, properties: { topicAlias: 4, subscriptionIdentifier: 300 } },
];

test("every 5.0 property encodes as mqtt-packet reads it and decodes back", () => {
  const names = new Set<string>();
  for (const p of PACKETS) {
    for (const k of Object.keys(p.properties)) names.add(k);
    if (p.will) for (const k of Object.keys(p.will.properties)) names.add(k);
    const ours = encode(p, 5);
    assert.ok(typeof ours != "string", String(ours));
    const b = (ours as Uint8Array).slice();
    assert.equal(canon(mqttParse(b, 5)), canon([p]), "mqtt-packet parses type " + p.type);
    for (const r of [decodeAll(b, 5), decodeAll(mqttGenerate(p, 5), 5)]) {
      assert.equal(r.errors, []);
      assert.equal(canon(r.packets), canon([p]), "type " + p.type);
    }
  }
  assert.is(names.size, 27);
});

test("5.0 user property with a numeric-looking name ('123') on Espruino's for-in (the name a number): written as the string, as on V8", async () => {
  // (the user-property loop is the encoder's only for-in: 2 edits)
  const esp = await buildWithEspruinoKeys("codec/encode.ts", 2);
  const p = { type: 3, topic: "t", payload: new Uint8Array(0), qos: 0, properties: { userProperties: { "123": "v" } } };
  const hex = (b: any) => Buffer.from(b).toString("hex");
  // PUBLISH 5.0: topic "t", properties 9 bytes: 0x26, "123", "v"
  assert.is(hex(esp.encode(p, 5)), "300d" + "000174" + "09" + "26" + "0003313233" + "000176");
  assert.is(hex(esp.encode(p, 5)), hex(encode(p as any, 5)));
});

test.run();
