/**
 * Deep-sleep cycles with the real client on the memory HAL, a virtual clock
 * and the simulated broker (scripts/lib/sim-broker.ts): each boot restores
 * the session record, connects with clean = false, publishes QoS 1 readings,
 * then sleep() saves the session (one storage write) and deep-sleeps while
 * another client sends QoS 2 commands. Reboots hit mid-cycle at random
 * (seeded) points.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Client } from "../src/client/client";
import { installEmitter } from "../src/client/emitter";
import { Liveness } from "../src/client/liveness";
import { decodeSession, restore, sleep, SESSION_RECORD, type SessionRecord } from "../src/client/session-record";
import { memoryHal, seededRandom, simulatedPower } from "../src/hal/memory";
import { simBroker } from "../scripts/lib/sim-broker";

installEmitter(Client.prototype);

const dec = (b: Uint8Array) => Buffer.from(b).toString();
const MAX = 512;

interface Run {
  acked: Set<string>;
  stored: Set<string>;
  published: string[];
  commands: string[];
  got: Map<string, number>;
  writes: number;
  maxRecord: number;
  accepted: string[];
  crashes: number;
  errors: string[];
  boots: number;
}

function run(cycles: number, crashRate: number, seed: number): Run {
  const hal = memoryHal({ latency: 15 });
  const broker = simBroker(hal.net, hal.clock);
  const rnd = seededRandom(seed);
  let sleepingFor = -1;
  const power = simulatedPower({ onDeepSleep: (ms) => (sleepingFor = ms) });
  const r: Run = {
    acked: new Set(),
    stored: new Set(),
    published: [],
    commands: [],
    got: new Map(),
    writes: 0,
    maxRecord: 0,
    accepted: [],
    crashes: 0,
    errors: [],
    boots: 0,
  };
  const storage = {
    read: (n: string) => hal.storage.read(n),
    erase: (n: string) => hal.storage.erase(n),
    write(n: string, d: Uint8Array) {
      r.writes++;
      r.maxRecord = Math.max(r.maxRecord, d.length);
      hal.storage.write(n, d);
    },
  };
  let cmd = 0;
  let reading = 0;
  for (let k = 0; k <= cycles; k++) {
    const last = k == cycles; // a final clean cycle drains everything
    r.boots++;
    let alive = true;
    const client = new Client(
      { clientId: "dev", host: "broker", port: 1883, clean: false, keepalive: 60, keepalivePolicy: new Liveness(0, 5000) },
      { ...hal, storage, power },
    );
    client.on("error", (e: any) => alive && r.errors.push(e.code));
    client.on("message", (t: string, p: Uint8Array) => {
      if (!alive) return;
      const s = dec(p);
      r.got.set(s, (r.got.get(s) || 0) + 1);
    });
    const err = restore(client as any);
    assert.is(err, undefined);
    if (k == 0) client.subscribe("cmd/#", { qos: 2 });
    let connected = false;
    client.on("connect", () => (connected = true));
    client.connect();
    while (!connected && hal.clock.runNext());
    assert.ok(connected, "connected in cycle " + k);
    // the broker is sometimes slow: PUBACKs come after sleep() stopped waiting
    // (not on the first boot, so the subscription is in place before commands flow)
    const slow = k > 0 && !last && rnd() < 0.15;
    if (slow) broker.answering = false;
    for (let j = 0; j < 3; j++) {
      const s = "r" + reading++;
      r.published.push(s);
      client.publish("sensor/t", s, { qos: 1 }, (e) => {
        if (alive && !e) r.acked.add(s);
      });
    }
    if (!last && rnd() < crashRate) {
      // reboot mid-cycle: the socket vanishes, RAM is lost, nothing is saved
      hal.clock.advance(Math.floor(rnd() * 40));
      alive = false;
      hal.net.last()!.drop();
      client.end(true);
      broker.answering = true;
      r.crashes++;
      hal.clock.advance(1000);
      continue;
    }
    sleepingFor = -1;
    let saved: Error | undefined | null = null;
    sleep(client as any, 60000, (e) => (saved = e), { wait: 300, max: MAX });
    while (sleepingFor < 0 && hal.clock.runNext());
    assert.is(sleepingFor, 60000);
    assert.is(saved, undefined);
    alive = false;
    broker.answering = true;
    // what the record holds now is "acknowledged as stored"
    const rec = decodeSession(hal.storage.read(SESSION_RECORD)!) as SessionRecord;
    for (const e of rec.out.concat(rec.queue)) if (e.p.topic == "sensor/t") r.stored.add(dec(e.p.payload));
    // asleep: another client sends commands, the broker queues them
    for (let j = 0; j < (last ? 0 : 2); j++) {
      hal.clock.advance(10000 + Math.floor(rnd() * 10000));
      const s = "c" + cmd++;
      r.commands.push(s);
      broker.publish("cmd/x", Buffer.from(s), 2);
    }
    hal.clock.advance(60000);
  }
  r.accepted = broker.accepted.filter((a) => a.p.topic == "sensor/t").map((a) => dec(a.p.payload));
  return r;
}

test("100 clean deep-sleep cycles: every reading delivered, QoS 2 commands exactly once, one bounded record per cycle", () => {
  const r = run(100, 0, 7);
  assert.is(r.crashes, 0);
  assert.equal(r.errors, []);
  assert.is(r.published.length, 303);
  // nothing lost: every reading reached the broker (slow cycles: resent from the record)
  const acc = new Set(r.accepted);
  for (const s of r.published) assert.ok(acc.has(s), "lost " + s);
  assert.ok(r.stored.size > 0, "some cycles saved unacknowledged readings");
  // incoming QoS 2: each command delivered exactly once across the cycles
  assert.is(r.commands.length, 200);
  for (const c of r.commands) assert.is(r.got.get(c), 1, c);
  assert.is(r.got.size, 200);
  // one storage write per sleep, never beyond the bound
  assert.is(r.writes, 101);
  assert.ok(r.maxRecord <= MAX && r.maxRecord > 0, String(r.maxRecord));
});

test("100 cycles with reboots mid-cycle: nothing acknowledged or stored is lost", () => {
  const r = run(100, 0.25, 11);
  assert.ok(r.crashes >= 15, "crashes " + r.crashes);
  const acc = new Set(r.accepted);
  for (const s of r.acked) assert.ok(acc.has(s), "acknowledged but lost: " + s);
  for (const s of r.stored) assert.ok(acc.has(s), "stored but lost: " + s);
  // QoS 2 commands: none lost (a reboot between delivery and the next save may repeat one)
  for (const c of r.commands) assert.ok((r.got.get(c) || 0) >= 1, "command lost: " + c);
  assert.is(r.writes, 101 - r.crashes);
  assert.ok(r.maxRecord <= MAX);
});

test.run();
