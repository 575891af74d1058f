/**
 * The broker goes down in the middle of a stream of 1,000 QoS 1 and 1,000
 * QoS 2 messages between two wren clients with persistent sessions, twice,
 * and comes back on the same port with its database: 0 QoS 1 lost, 0 QoS 2
 * lost or duplicated, order of first deliveries kept.
 *
 * The broker is stopped with SIGTERM (it saves its database, then exits), not
 * SIGKILL: mosquitto writes its database only periodically and on shutdown,
 * so after a SIGKILL it forgets messages it already acknowledged (measured
 * with a save after every change: 1 QoS 2 message lost and 1 duplicated per
 * 1,000), a loss no client can repair. See test/support/mosquitto.ts.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import mqtt from "mqtt";
import { startMosquitto, type Mosquitto } from "./support/mosquitto";
import { runStream } from "./support/stream";
import { checkSequence, connected, end, publish, uid } from "./support/wren";

const N = 1000;

let m: Mosquitto;
test.before(async () => {
  m = await startMosquitto({ persistence: true });
});
test.after(async () => {
  await m.stop();
});

test("wren -> wren: broker restarted twice mid-stream, nothing lost, QoS 2 exactly once, order kept", async () => {
  const restarts: { at: string; running: boolean }[] = [];
  const restart = (at: string) => async () => {
    await m.restart();
    restarts.push({ at, running: m.running() });
  };
  const r = await runStream({
    pubAt: m,
    subAt: m,
    n: N,
    at: { 500: restart("sub 500") },
    atPub: { 1400: restart("pub 1400") },
    timeoutMs: 30000,
  });
  assert.is(restarts.length, 2, "two restarts");
  assert.ok(restarts.every((x) => x.running));
  assert.ok(r.pubOffline >= 2 && r.subOffline >= 2, "both clients went offline twice: pub " + r.pubOffline + " sub " + r.subOffline);
  assert.equal(r.q1.lost, [], "QoS 1 lost");
  assert.equal(r.q2.lost, [], "QoS 2 lost");
  assert.is(r.q2.dups, 0, "QoS 2 duplicated");
  assert.is(r.q2.received, N);
  assert.is(r.q1.outOfOrder, 0, "QoS 1 order");
  assert.is(r.q2.outOfOrder, 0, "QoS 2 order");
  assert.is(r.completed, 2 * N, "every publish callback ran");
  assert.not.ok(r.errors.some((e) => e.startsWith("pubcb:")), "no publish failed: " + r.errors.join(","));
});

test("wren publisher -> MQTT.js persistent subscriber across a restart", async () => {
  const topic = uid("crash-mqttjs");
  const subId = uid("mjs");
  const opts = { host: "127.0.0.1", port: m.port, clientId: subId, clean: false, reconnectPeriod: 50 };
  const s = await mqtt.connectAsync(opts);
  await s.subscribeAsync(topic + "/1", { qos: 1 });
  await s.subscribeAsync(topic + "/2", { qos: 2 });
  const got: { [t: string]: number[] } = { 1: [], 2: [] };
  s.on("message", (t, p) => got[t.slice(-1)].push(parseInt(p.toString(), 10)));
  const pub = await connected(m, { clean: false, queue: { limit: 10000, bytes: 1 << 24 } });
  let restarted = false;
  const all: Promise<void>[] = [];
  for (let i = 0; i < N; i++) {
    all.push(publish(pub, topic + "/1", String(i), 1));
    all.push(publish(pub, topic + "/2", String(i), 2));
    if (i === 300) all.push(m.restart().then(() => void (restarted = true)));
  }
  await Promise.all(all);
  const deadline = Date.now() + 15000;
  while ((new Set(got[1]).size < N || new Set(got[2]).size < N) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(restarted);
  const a = checkSequence(got[1], N);
  const b = checkSequence(got[2], N);
  assert.equal(a.lost, [], "QoS 1 lost");
  assert.equal(b.lost, [], "QoS 2 lost");
  assert.is(b.dups, 0, "QoS 2 duplicated");
  assert.is(a.outOfOrder + b.outOfOrder, 0, "order");
  await end(pub);
  await s.endAsync(true);
});

test.run();
