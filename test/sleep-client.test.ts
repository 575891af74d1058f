/**
 * The client's own deep-sleep API (full profile, PERSIST): `client.sleep(ms, cb)`
 * and `client.restore()` delegate to src/client/session-record.ts. Memory HAL,
 * virtual clock, simulated broker and power.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Client } from "../src/client/client";
import { installEmitter } from "../src/client/emitter";
import { decodeSession, SESSION_RECORD, type SessionRecord } from "../src/client/session-record";
import { memoryHal, simulatedPower } from "../src/hal/memory";
import { simBroker } from "../scripts/lib/sim-broker";

installEmitter(Client.prototype);

function rig() {
  const hal = memoryHal({ latency: 15 });
  const broker = simBroker(hal.net, hal.clock);
  const power = simulatedPower();
  const make = () => new Client({ clientId: "dev", host: "b", port: 1883, clean: false }, { ...hal, power });
  return { hal, broker, power, make };
}

test("client.sleep: waits for the PUBACK, saves one record, disconnects, then deepSleep(ms)", () => {
  const r = rig();
  const c = r.make();
  const order: string[] = [];
  c.on("end", () => order.push("end"));
  c.connect();
  r.hal.clock.advanceTo(100);
  c.publish("s/t", "21.5", { qos: 1 }, (e) => order.push("puback " + (e ? (e as any).code : "ok")));
  const ret = c.sleep(60000, (e?: Error) => order.push("cb " + (e ? (e as any).code : "ok")));
  assert.is(ret, c);
  assert.equal(r.power.sleeps, []); // still waiting for the PUBACK
  r.hal.clock.advanceTo(1000);
  assert.equal(order, ["puback ok", "end", "cb ok"]);
  assert.equal(r.power.sleeps, [60000]);
  const rec = decodeSession(r.hal.storage.read(SESSION_RECORD)!) as SessionRecord;
  assert.equal([rec.out.length, rec.queue.length, rec.inc.length], [0, 0, 0]);
  assert.is(rec.id, 1);
  // DISCONNECT was sent: a clean end, the broker keeps the session
  assert.ok(r.broker.log.some((l) => l.dir == 0 && l.type == 14));
});

test("client.sleep with the broker silent: the reading is saved and client.restore() resends it", () => {
  const r = rig();
  const c = r.make();
  c.connect();
  r.hal.clock.advanceTo(100);
  r.broker.answering = false;
  let cbErr: unknown = "not called";
  c.publish("s/t", "r1", { qos: 1 }, (e) => (cbErr = e));
  c.sleep(5000, () => {}, { wait: 200 });
  r.hal.clock.advanceTo(1000);
  assert.equal(r.power.sleeps, [5000]);
  assert.is(cbErr, "not called"); // saved, not failed: it lives on in the record
  const rec = decodeSession(r.hal.storage.read(SESSION_RECORD)!) as SessionRecord;
  assert.equal(rec.out.map((e) => [e.p.messageId, e.p.topic, Buffer.from(e.p.payload).toString()]), [[1, "s/t", "r1"]]);
  // wake: a fresh client restores and resends
  r.broker.answering = true;
  const w = r.make();
  assert.is(w.restore(), undefined);
  // it went out before the sleep: the resend carries DUP [MQTT-3.3.1-1]
  assert.equal((w as any)._out.map((e: any) => [e.p.messageId, e.p.dup, e.w]), [[1, true, 4]]);
  w.connect();
  r.hal.clock.advanceTo(2000);
  // on the wire twice (the first went unanswered), accepted once, acknowledged: nothing left in flight
  assert.is(r.broker.log.filter((l) => l.dir == 0 && l.type == 3).length, 2);
  assert.equal(r.broker.accepted.map((a) => Buffer.from(a.p.payload).toString()), ["r1"]);
  assert.is(r.broker.log.filter((l) => l.dir == 1 && l.type == 4).length, 1);
  assert.is((w as any)._out.length, 0);
});

test("client.restore: a corrupt record is reported (SESSION_CORRUPT) and the client starts empty", () => {
  const r = rig();
  r.hal.storage.write(SESSION_RECORD, new Uint8Array([1, 0, 5, 0, 0]));
  const c = r.make();
  const e = c.restore() as any;
  assert.is(e.code, "SESSION_CORRUPT");
  assert.is((c as any)._out.length, 0);
});

test("client.sleep without storage: NO_STORAGE, still disconnected and asleep", () => {
  const hal = memoryHal({ latency: 15 });
  simBroker(hal.net, hal.clock);
  const power = simulatedPower();
  const c = new Client({ clientId: "dev", host: "b", port: 1883, clean: false }, { transport: hal.transport, clock: hal.clock, power });
  c.connect();
  hal.clock.advanceTo(100);
  let err: any;
  c.sleep(1000, (e?: Error) => (err = e));
  hal.clock.advanceTo(200);
  assert.is(err && err.code, "NO_STORAGE");
  assert.equal(power.sleeps, [1000]);
});

test("client.sleep with a SUBSCRIBE not yet acknowledged: saved as unacked, sent again after restore, then kept", () => {
  const r = rig();
  const c = r.make();
  c.connect();
  r.hal.clock.advanceTo(100);
  r.broker.answering = false;
  c.subscribe("cmd/#", { qos: 1 });
  c.sleep(5000, () => {}, { wait: 200 });
  r.hal.clock.advanceTo(1000);
  assert.equal(r.power.sleeps, [5000]);
  const rec = decodeSession(r.hal.storage.read(SESSION_RECORD)!) as SessionRecord;
  assert.equal(rec.subs.map((x: any) => [x.topic, x.qos, !!x.u]), [["cmd/#", 1, true]]);
  assert.equal(Object.keys((c as any)._subs), []); // the live client's own state was not marked
  // wake: the SUBSCRIBE goes out again and, once acknowledged, the filter is part of the session
  r.broker.answering = true;
  const subscribesBefore = r.broker.log.filter((l) => l.dir == 0 && l.type == 8).length;
  const w = r.make();
  assert.is(w.restore(), undefined);
  w.connect();
  r.hal.clock.advanceTo(2000);
  assert.is(r.broker.log.filter((l) => l.dir == 0 && l.type == 8).length, subscribesBefore + 1);
  assert.equal(Object.keys((w as any)._subs), ["cmd/#"]);
});

test.run();
