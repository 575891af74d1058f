/** Pure parts of the client: topic matching/validation, backoff, queue, keepalive policy, emitter. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { matches, validFilter, validTopic } from "../src/client/topic";
import { backoff } from "../src/client/backoff";
import { Queue, type Queued } from "../src/client/queue";
import { SpecKeepalive } from "../src/client/keepalive";
import { installEmitter } from "../src/client/emitter";

test("validTopic: no wildcards, no NUL, not empty [MQTT-4.7.3-1/2]", () => {
  for (const t of ["a", "a/b", "/", "a//b", "$SYS/x", "ü/日本"]) assert.ok(validTopic(t), t);
  for (const t of ["", "a/+", "#", "a/#", "a+b", "a\0b", 3, null, undefined]) assert.not.ok(validTopic(t), String(t));
});

test("validFilter: + whole level, # whole last level [MQTT-4.7.1-2/3]", () => {
  for (const f of ["a", "#", "+", "a/#", "+/+", "/+", "+/", "a/+/b", "+/#", "$SYS/#", "a//b", "$share/g/a/+"])
    assert.ok(validFilter(f), f);
  for (const f of ["", "a#", "#/a", "a/#/b", "a+", "+a", "a/b+", "++", "##", "a/+b/c", "a\0", 5, null])
    assert.not.ok(validFilter(f), String(f));
});

test("matches: + and # wildcards [MQTT-4.7.1]", () => {
  const yes: [string, string][] = [
    ["a/b", "a/b"],
    ["a/+", "a/b"],
    ["a/+", "a/"],
    ["+/+", "/"],
    ["+", "abc"],
    ["#", "a/b/c"],
    ["a/#", "a"], // # includes the parent level [MQTT-4.7.1-2]
    ["a/#", "a/b/c"],
    ["sport/tennis/+", "sport/tennis/player1"],
    ["+/tennis/#", "sport/tennis/player1/ranking"],
    ["/+", "/finance"],
    ["$SYS/#", "$SYS/broker/load"],
    ["$SYS/+", "$SYS/x"],
    ["a/+/c", "a//c"],
  ];
  const no: [string, string][] = [
    ["a/b", "a/bc"],
    ["a/bc", "a/b"],
    ["a/+", "a/b/c"],
    ["a/+", "a"],
    ["+", "/finance"],
    ["+", "a/b"],
    ["a/#", "ab"],
    ["a/b/#", "a"],
    ["#", "$SYS/x"], // leading wildcards do not match $ topics [MQTT-4.7.2-1]
    ["+/x", "$SYS/x"],
    ["+/#", "$x"],
    ["a", "A"],
  ];
  for (const [f, t] of yes) assert.ok(matches(f, t), f + " ~ " + t);
  for (const [f, t] of no) assert.not.ok(matches(f, t), f + " !~ " + t);
});

test("backoff: exponential, full jitter, capped", () => {
  const o = { min: 1000, max: 30000, factor: 2 };
  // r = 0: the cap itself
  assert.equal([0, 1, 2, 3, 4, 5, 6, 100].map((n) => backoff(n, o, 0)), [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  // full jitter: uniform in [0, cap]
  assert.equal([0, 1, 2, 5].map((n) => backoff(n, o, 0.75)), [250, 500, 1000, 7500]);
  // half jitter: [cap/2, cap]
  assert.equal([0, 3].map((n) => backoff(n, { min: 1000, max: 30000, jitter: 0.5 }, 0.5)), [750, 6000]);
  // defaults: min 1000, max 60000, factor 2, full jitter
  assert.equal([0, 6, 7, 2000].map((n) => backoff(n, {}, 0)), [1000, 60000, 60000, 60000]);
  assert.is(backoff(2000, { min: 0 }, 0), 0);
});

function entry(topic: string, n = 1, log?: string[]): Queued {
  return { p: { type: 3, topic, payload: new Uint8Array(n), qos: 0, retain: false, dup: false }, n: topic.length + n, cb: log && ((e) => log.push(topic + ":" + (e as any).code)) };
}

test("queue drop-oldest: count and byte bounds, every drop reported", () => {
  const dropped: string[] = [];
  const q = new Queue(3, 100, 0, (e) => dropped.push(e.p.topic));
  for (const t of ["a", "b", "c", "d"]) assert.ok(q.add(entry(t)));
  assert.equal(q._a.map((e) => e.p.topic), ["b", "c", "d"]);
  assert.equal(dropped, ["a"]);
  // bytes: 1+60 after b,c,d (2 each) = 67 > 100? no: 6 + 61 = 67 fits with count 3 -> b dropped for count
  assert.ok(q.add(entry("e", 60)));
  assert.equal(dropped, ["a", "b"]);
  assert.is(q._b, 2 + 2 + 61);
  assert.ok(q.add(entry("f", 40))); // 65 + 41 > 100: drops c, d until it fits
  assert.equal(dropped, ["a", "b", "c", "d", "e"]);
  assert.equal(q._a.map((e) => e.p.topic), ["f"]);
  // an entry bigger than the whole bound is dropped itself
  assert.not.ok(q.add(entry("g", 200)));
  assert.equal(dropped.slice(-1), ["g"]);
  assert.equal(q._a.map((e) => e.p.topic), ["f"]);
  assert.is(q.shift()!.p.topic, "f");
  assert.is(q._b, 0);
  assert.is(q.shift(), undefined);
});

test("queue drop-new: rejects the new publish", () => {
  const dropped: string[] = [];
  const q = new Queue(2, 100, 1, (e) => dropped.push(e.p.topic));
  assert.ok(q.add(entry("a")));
  assert.ok(q.add(entry("b")));
  assert.not.ok(q.add(entry("c")));
  assert.equal(dropped, ["c"]);
  assert.equal(q._a.map((e) => e.p.topic), ["a", "b"]);
});

test("queue latest: one entry per topic, the newest, then drop-oldest", () => {
  const dropped: string[] = [];
  const q = new Queue(3, 100, 2, (e) => dropped.push(e.p.topic + e.n));
  q.add(entry("a", 1));
  q.add(entry("b", 1));
  q.add(entry("a", 2));
  assert.equal(q._a.map((e) => e.p.topic + e.n), ["b2", "a3"]);
  assert.equal(dropped, ["a2"]);
  assert.is(q._b, 5);
  q.add(entry("c"));
  q.add(entry("d"));
  assert.equal(dropped, ["a2", "b2"]);
  assert.equal(q._a.map((e) => e.p.topic), ["a", "c", "d"]);
});

test("SpecKeepalive: PINGREQ after keepalive with nothing sent, dead after timeout", () => {
  const k = new SpecKeepalive();
  assert.is(k.next(), -1);
  k.start(1000, 60000);
  assert.is(k.next(), 61000);
  k.sent(5000);
  assert.is(k.next(), 65000);
  assert.is(k.timer(64999), 0);
  k.received(30000); // receiving does not postpone the ping [MQTT-3.1.2-23 counts what the client sends]
  assert.is(k.next(), 65000);
  assert.is(k.timer(65000), 1);
  k.sent(65000);
  assert.is(k.next(), 125000); // waiting for PINGRESP: timeout = keepalive by default
  assert.is(k.timer(124999), 0);
  assert.is(k.timer(125000), 2);
  const k2 = new SpecKeepalive(5000);
  k2.start(0, 10000);
  assert.is(k2.timer(10000), 1);
  k2.sent(10000);
  assert.is(k2.next(), 15000);
  k2.received(12000);
  assert.is(k2.next(), 20000);
  k2.start(0, 0);
  assert.is(k2.next(), -1);
  assert.is(k2.timer(1e9), 0);
});

test("emitter: on, once, removeListener, emit, error without listener does not throw", () => {
  class E {}
  installEmitter(E.prototype);
  const e: any = new E();
  const log: string[] = [];
  const f = (x: string) => log.push("f" + x);
  e.on("a", f);
  e.once("a", (x: string) => log.push("o" + x));
  assert.is(e.emit("a", 1), true);
  e.emit("a", 2);
  e.removeListener("a", f);
  assert.is(e.emit("a", 3), false);
  assert.equal(log, ["f1", "o1", "f2"]);
  assert.is(e.emit("error", new Error("x")), false);
  assert.is(new (E as any)()._ev, undefined);
});

test.run();
