/**
 * The link budget on the real client: the metered transport counts exactly
 * the bytes the client wrote and read, and guard() drops or coalesces QoS 0
 * publishes over the daily budget, reporting each with BUDGET_EXCEEDED.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Client } from "../src/client/client";
import { installEmitter } from "../src/client/emitter";
import { Budget, BudgetPolicy, guard, meter } from "../src/client/budget";
import { memoryHal } from "../src/hal/memory";
import { simBroker } from "../scripts/lib/sim-broker";

installEmitter(Client.prototype);
const DAY = 864e5;

function rig(limit: number, policy: BudgetPolicy) {
  const hal = memoryHal({ latency: 10, chunkSize: 3 }); // inbound bytes split anywhere
  const broker = simBroker(hal.net, hal.clock);
  const budget = new Budget(limit, policy, 0);
  const client = new Client({ clientId: "m", host: "b", port: 1883, keepalive: 60 }, { ...hal, transport: meter(hal.transport, budget, hal.clock) });
  const errors: string[] = [];
  const drops: string[] = [];
  client.on("error", (e: any) => errors.push(e.code));
  client.on("drop", (h: any, e: any) => drops.push(e.code + " " + h.topic + " " + h.payload));
  return { hal, broker, budget, client, errors, drops };
}

test("counts match the bytes and packets on the wire, per day", () => {
  const r = rig(0, BudgetPolicy.DROP);
  r.client.connect();
  r.client.subscribe("cmd/#", { qos: 1 });
  for (let i = 0; i < 50; i++) {
    r.hal.clock.setTimer(() => r.client.publish("s/t", "reading " + i, { qos: (i % 3) as 0 | 1 | 2 }), 1000 * i + 500);
    r.hal.clock.setTimer(() => r.broker.publish("cmd/x", Buffer.from("c" + i), 1), 1000 * i + 700);
  }
  r.hal.clock.advanceTo(DAY - 1);
  const peers = r.hal.net.peers;
  const written = peers.reduce((n, p) => n + p.written, 0);
  const read = peers.reduce((n, p) => n + p.bytesOut, 0);
  assert.is(r.budget.tx, written);
  assert.is(r.budget.rx, read);
  const up = r.broker.log.filter((l) => l.dir == 0);
  const down = r.broker.log.filter((l) => l.dir == 1);
  assert.is(r.budget.ptx, up.length);
  assert.is(r.budget.prx, down.length);
  assert.is(r.budget.tx, up.reduce((n, l) => n + l.bytes, 0));
  assert.is(r.budget.rx, down.reduce((n, l) => n + l.bytes, 0));
  assert.ok(r.budget.ptx > 1440, String(r.budget.ptx)); // incl. a day of PINGREQs
  // the next day starts from zero
  r.hal.clock.advanceTo(DAY + 61000);
  assert.is(r.budget.day, 1);
  assert.is(r.budget.ptx, 1); // one PINGREQ
  assert.is(r.budget.tx, 2);
  assert.equal(r.errors, []);
});

test("over budget: QoS 0 dropped and reported, QoS 1 still sent", () => {
  const r = rig(60, BudgetPolicy.DROP);
  guard(r.client, r.budget);
  r.client.connect();
  r.hal.clock.advance(100); // CONNECT 15 + CONNACK 4 = 19 bytes used
  assert.is(r.budget.tx + r.budget.rx, 19);
  const cbs: string[] = [];
  for (let i = 0; i < 5; i++) r.client.publish("s/t", "0123456789", (e) => cbs.push(i + ":" + (e ? (e as any).code : "ok")));
  r.client.publish("s/t", "important", { qos: 1 }, (e) => cbs.push("q1:" + (e ? (e as any).code : "ok")));
  r.hal.clock.advance(100);
  // each QoS 0 publish is 2 + 2 + 3 + 10 = 17 bytes: two fit (19 + 34 = 53 <= 60), three do not
  assert.equal(cbs, ["0:ok", "1:ok", "2:BUDGET_EXCEEDED", "3:BUDGET_EXCEEDED", "4:BUDGET_EXCEEDED", "q1:ok"]);
  assert.is(r.drops.length, 3);
  assert.is(r.broker.accepted.length, 3);
  assert.is(r.budget.tx + r.budget.rx, 53 + 18 + 4); // + the QoS 1 PUBLISH and its PUBACK
});

test("over budget with LATEST: newest per topic kept, superseded reported, sent the next day", () => {
  const r = rig(19, BudgetPolicy.LATEST); // CONNECT + CONNACK use it all
  guard(r.client, r.budget);
  r.client.connect();
  r.hal.clock.advance(100);
  r.client.publish("a", "1");
  r.client.publish("a", "2");
  r.client.publish("b", "3");
  r.client.publish("a", "4");
  r.hal.clock.advance(100);
  assert.equal(r.drops, ["BUDGET_EXCEEDED a 1", "BUDGET_EXCEEDED a 2"]);
  assert.equal(r.errors, ["BUDGET_EXCEEDED", "BUDGET_EXCEEDED"]);
  assert.is(r.broker.accepted.length, 0);
  r.hal.clock.advanceTo(DAY + 5);
  r.client.publish("c", "5");
  r.hal.clock.advance(100);
  assert.equal(
    r.broker.accepted.map((a) => a.p.topic + Buffer.from(a.p.payload)),
    ["a4", "b3", "c5"],
  );
});

test.run();
