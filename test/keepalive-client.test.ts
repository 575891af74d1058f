/**
 * The liveness policy and battery bands plugged into the real client
 * (keepalivePolicy seam, applyPower) on the memory HAL with a virtual clock
 * and the simulated broker: pings counted at the broker, exact times.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Client } from "../src/client/client";
import { installEmitter } from "../src/client/emitter";
import { Liveness } from "../src/client/liveness";
import { applyPower } from "../src/client/power-policy";
import { memoryHal, simulatedPower } from "../src/hal/memory";
import { simBroker } from "../scripts/lib/sim-broker";

installEmitter(Client.prototype);
const DAY = 864e5;
const LAT = 15; // one way: round trip 30 ms

function rig(lv: number, at: number, battery?: number) {
  const hal = memoryHal({ latency: LAT });
  const broker = simBroker(hal.net, hal.clock);
  const power = simulatedPower({ battery: battery == null ? NaN : battery });
  const client = new Client(
    { clientId: "s", host: "b", port: 1883, keepalive: 60, keepalivePolicy: new Liveness(lv, at) },
    { ...hal, power },
  );
  const errors: [number, string][] = [];
  client.on("error", (e: any) => errors.push([hal.clock.now(), e.code]));
  return { hal, broker, power, client, errors, pings: () => broker.log.filter((l) => l.type == 12) };
}

function every(r: ReturnType<typeof rig>, ms: number, qos: 0 | 1) {
  const tick = () => {
    r.hal.clock.setTimer(tick, ms);
    r.client.publish("s/t", "21.5", { qos });
  };
  r.hal.clock.setTimer(tick, ms);
}

test("real client, QoS 1 every 30 s, keepalive 60 s: zero PINGREQ in 24 h", () => {
  const r = rig(0, 10000);
  r.client.connect();
  every(r, 30000, 1);
  r.hal.clock.advanceTo(DAY + 1000);
  assert.is(r.pings().length, 0);
  assert.is(r.broker.accepted.length, 2880);
  assert.equal(r.errors, []);
  assert.is(r.hal.net.peers.length, 1); // never reconnected
});

test("real client, QoS 0 every 30 s, liveness 300 s: one PINGREQ per liveness interval", () => {
  const r = rig(300000, 10000);
  r.client.connect();
  every(r, 30000, 0);
  r.hal.clock.advanceTo(DAY);
  const p = r.pings().map((l) => l.t - LAT); // client send times
  // CONNACK reaches the client at 45 (dial 15 + CONNECT 15 + CONNACK 15); then each PINGRESP 30 ms after its PINGREQ
  assert.is(p[0], 45 + 300000);
  for (let i = 1; i < p.length; i++) assert.is(p[i] - p[i - 1], 300030);
  assert.is(p.length, Math.floor((DAY - 45 - 300000) / 300030) + 1);
  assert.equal(r.errors, []);
});

test("real client: a hung broker (TCP up, nothing answered) is detected after liveness + ack timeout", () => {
  const r = rig(120000, 5000);
  r.client.connect();
  every(r, 30000, 0);
  r.hal.clock.advanceTo(1000000);
  r.broker.answering = false;
  r.hal.clock.advanceTo(2000000);
  const lastRx = Math.max(...r.broker.log.filter((l) => l.dir == 1 && l.t < 1000000).map((l) => l.t + LAT));
  const dead = r.errors.find((e) => e[1] == "PING_TIMEOUT");
  assert.ok(dead, JSON.stringify(r.errors));
  assert.is(dead![0], lastRx + 120000 + 5000);
});

test("battery bands change the keepalive of the next CONNECT and the liveness interval", () => {
  const r = rig(100000, 5000, 0.9);
  applyPower(r.client as any, {});
  r.client.connect();
  r.hal.clock.advance(1000);
  const ka = (i: number) => {
    const b = r.hal.net.peers[i].all();
    return (b[10] << 8) | b[11]; // CONNECT: 2-byte fixed header, "MQTT", level, flags, keepalive
  };
  assert.is(ka(0), 60);
  assert.is((r.client as any).band, 0);
  r.power.setBattery(0.3);
  r.hal.net.last()!.cut();
  r.hal.clock.advance(300000);
  assert.is(r.hal.net.peers.length, 2);
  assert.is(ka(1), 240);
  assert.is((r.client as any)._kp._li, 400000); // liveness 100 s x 4
  r.power.setBattery(0.1);
  r.hal.net.last()!.cut();
  r.hal.clock.advance(600000);
  assert.is(ka(2), 240);
  assert.is((r.client as any).band, 2);
  r.power.setBattery(NaN);
  r.hal.net.last()!.cut();
  r.hal.clock.advance(600000);
  assert.is(ka(3), 60);
  assert.is((r.client as any)._kp._li, 100000);
});

test.run();
