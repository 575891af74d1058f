/**
 * The `ping` / `pingresp` events of the real client on the memory HAL and a
 * virtual clock (exact times): `ping` when a PINGREQ is written,
 * `pingresp(rtt)` when the PINGRESP arrives, rtt in ms from the keepalive
 * policy. Also: a PUBREC the client sends expects a PUBREL (the liveness
 * policy counts it as an outstanding answer).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Client } from "../src/client/client";
import { installEmitter } from "../src/client/emitter";
import { SpecKeepalive } from "../src/client/keepalive";
import { Liveness } from "../src/client/liveness";
import { memoryHal } from "../src/hal/memory";
import { simBroker } from "../scripts/lib/sim-broker";

installEmitter(Client.prototype);
const LAT = 15; // one way

function rig(policy: any, keepalive = 60) {
  const hal = memoryHal({ latency: LAT });
  const broker = simBroker(hal.net, hal.clock);
  const client = new Client({ clientId: "s", host: "b", port: 1883, keepalive, keepalivePolicy: policy }, hal);
  const events: [string, number, number?][] = [];
  client.on("ping", () => events.push(["ping", hal.clock.now()]));
  client.on("pingresp", (rtt: number) => events.push(["pingresp", hal.clock.now(), rtt]));
  const errors: string[] = [];
  client.on("error", (e: any) => errors.push(e.code));
  return { hal, broker, client, events, errors };
}

test("liveness policy: ping at CONNECT + keepalive [MQTT-3.1.2-23], pingresp one round trip later with rtt 30", () => {
  const r = rig(new Liveness(0, 5000));
  r.client.connect();
  r.hal.clock.advanceTo(200000);
  // CONNECT written at 15 (dial 15), the keepalive runs from it; idle: a PINGREQ 60 s after the last one sent
  assert.equal(r.events, [
    ["ping", 60015],
    ["pingresp", 60045, 30],
    ["ping", 120015],
    ["pingresp", 120045, 30],
    ["ping", 180015],
    ["pingresp", 180045, 30],
  ]);
  // the events match the wire
  assert.equal(r.broker.log.filter((l) => l.type == 12).map((l) => l.t - LAT), [60015, 120015, 180015]);
  assert.equal(r.errors, []);
});

test("slower broker: rtt follows the latency (virtual clock, exact)", () => {
  const hal = memoryHal({ latency: 120 });
  simBroker(hal.net, hal.clock);
  const c = new Client({ clientId: "s", host: "b", port: 1883, keepalive: 10, keepalivePolicy: new Liveness(0, 5000) }, hal);
  const rtts: number[] = [];
  c.on("pingresp", (rtt: number) => rtts.push(rtt));
  c.connect();
  hal.clock.advanceTo(35000);
  assert.equal(rtts, [240, 240, 240]);
});

test("the default spec policy emits the same events with its rtt", () => {
  const r = rig(new SpecKeepalive());
  r.client.connect();
  r.hal.clock.advanceTo(130000);
  assert.equal(r.events, [
    ["ping", 60015],
    ["pingresp", 60045, 30],
    ["ping", 120015],
    ["pingresp", 120045, 30],
  ]);
});

test("a hung broker: ping, no pingresp, PING_TIMEOUT after the ack timeout", () => {
  const r = rig(new Liveness(0, 5000));
  r.client.connect();
  r.hal.clock.advanceTo(1000);
  r.broker.answering = false;
  r.hal.clock.advanceTo(70000);
  assert.equal(r.events, [["ping", 60015]]);
  assert.equal(r.errors, ["PING_TIMEOUT"]);
});

test("a PUBREC sent expects the broker's PUBREL: liveness waits for it, not a ping", () => {
  const r = rig(new Liveness(0, 5000));
  r.client.subscribe("cmd/#", { qos: 2 });
  r.client.connect();
  r.hal.clock.advanceTo(1000);
  const kp = (r.client as any)._kp as Liveness;
  // incoming QoS 2: PUBLISH -> our PUBREC (owed: PUBREL) -> PUBREL -> our PUBCOMP
  r.broker.publish("cmd/x", new Uint8Array([1]), 2);
  // PUBLISH reaches the client 15 ms later; it answers with PUBREC at once
  r.hal.clock.advance(LAT);
  assert.is(kp._n, 1, "PUBREC counted as expecting an answer");
  r.hal.clock.advance(2 * LAT);
  assert.is(kp._n, 0, "PUBREL answered it");
  assert.equal(r.errors, []);
});

test.run();
