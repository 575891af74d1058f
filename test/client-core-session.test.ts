/**
 * The core profile's client (src/core): session state on a virtual clock.
 * Unacknowledged packets resent on reconnect, resubscription of a new
 * session, packet ids, the in-flight window and the offline queue (bounds,
 * policies, every drop reported, order kept), end() failing what waited.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { coreRig as rig, connRig as conn, pubHex, bin, h16, uncaught, bounce } from "./support/core-rig";

test("core session: unacked PUBLISH resent with DUP in the original order, PUBREL after PUBREC, SUBSCRIBE/UNSUBSCRIBE again (session present)", () => {
  const r = conn({ clean: false });
  const log: string[] = [];
  r.c.publish("a", "1", { qos: 1 }, () => log.push("a"));
  r.c.publish("b", "2", { qos: 2 }, () => log.push("b"));
  r.c.publish("c", "3", { qos: 2, retain: true }, () => log.push("c"));
  r.c.subscribe("s", { qos: 1 }, () => log.push("s"));
  r.c.unsubscribe("u", () => log.push("u"));
  r.c.publish("z", "0"); // QoS 0: done once written, never resent
  assert.equal(r.s().take(), ["3206000161000131", "3406000162000232", "3506000163000333", "82060004000173" + "01", "a20500050001" + "75", "300400017a30"]);
  r.s().data("50020002");
  assert.equal(r.s().take(), ["62020002"]);
  // the connection drops: everything unacknowledged goes again, PUBLISH in the order first
  // sent [MQTT-4.6.0-1], PUBREL in PUBREC order [MQTT-4.6.0-4] (after what was sent before it came)
  assert.equal(bounce(r, true), ["3a06000161000131", "3d06000163000333", "82060004000173" + "01", "a20500050001" + "75", "62020002"]);
  assert.equal(r.events, ["close", "offline", "reconnect", "connect"]);
  assert.equal(r.connacks[1], { sessionPresent: true });
  assert.equal(log, []);
  // and again: still DUP (not DUP twice, not the flags lost)
  assert.equal(bounce(r, true), ["3a06000161000131", "3d06000163000333", "82060004000173" + "01", "a20500050001" + "75", "62020002"]);
  r.s().data("40020001" + "70020002" + "50020003" + "9003000401" + "b0020005");
  assert.equal(r.s().take(), ["62020003"]);
  assert.equal(log, ["a", "b", "s", "u"]);
  r.s().data("70020003");
  assert.equal(log, ["a", "b", "s", "u", "c"]);
  // all done: nothing to resend
  assert.equal(bounce(r, true), []);
});

test("core session: session present 0 -> one SUBSCRIBE with every acknowledged filter at its QoS, first, then the resends", () => {
  const r = conn({ clean: false });
  r.c.subscribe({ "a/#": 1, b: 0 });
  r.c.subscribe("c/+", { qos: 2 });
  r.s().data("900400010100" + "9003000202");
  r.c.subscribe("pending"); // id 3, never acked
  r.c.publish("p", "1", { qos: 1 }); // id 4
  r.s().take();
  // SUBSCRIBE id 5: a/# 1, b 0, c/+ 2 (acknowledged only); then SUBSCRIBE 3 and the PUBLISH (DUP) again
  assert.equal(bounce(r, false), ["8212" + "0005" + "0003612f2301" + "00016200" + "0003632f2b02", "820c0003" + "000770656e64696e67" + "00", "3a060001700004" + "31"]);
  r.s().data("90050005010002");
  assert.equal(r.events, ["close", "offline", "reconnect", "connect"]);
  // session present: no SUBSCRIBE
  assert.equal(bounce(r, true), ["820c0003" + "000770656e64696e67" + "00", "3a060001700004" + "31"]);
});

test("core session: a new session (present 0) forgets the incoming QoS 2 ids; a kept one (present 1) does not", () => {
  const r = conn({ clean: false });
  r.s().data(pubHex("q", "31", 2, 9));
  assert.equal(r.s().take(), ["50020009"]);
  // the session is kept: the broker resends the PUBLISH (DUP) or the PUBREL; delivered once
  bounce(r, true);
  r.s().data(pubHex("q", "31", 2, 9, 8));
  assert.equal(r.s().take(), ["50020009"]);
  assert.equal(r.msgs, ["q=31"]);
  // the session is new: the id means a new message
  bounce(r, false);
  r.s().data(pubHex("q", "32", 2, 9));
  assert.equal(r.s().take(), ["50020009"]);
  assert.equal(r.msgs, ["q=31", "q=32"]);
  r.s().data("62020009");
  assert.equal(r.s().take(), ["70020009"]);
});

test("core session: packet ids skip ids in use and wrap 65535 -> 1, never 0 [MQTT-2.3.1-1/2]", () => {
  const r = conn({ inflightWindow: 10 });
  const s = r.s();
  r.c.publish("a", "", { qos: 1 }); // 1, kept in flight
  r.c.publish("b", "", { qos: 2 }); // 2: PUBREC, then kept waiting for PUBCOMP
  r.c.subscribe("c"); // 3, kept in flight
  s.data("50020002");
  s.take();
  const seen = new Set<number>();
  // 4..65535 taken and acked one by one
  for (let i = 4; i <= 65535; i++) {
    r.c.publish("t", "", { qos: 1 });
    const w = s.out.pop()!;
    const id = (w.charCodeAt(5) << 8) | w.charCodeAt(6);
    seen.add(id);
    if (id != i) assert.unreachable("id " + id + " instead of " + i);
    s.fire("data", "\x40\x02" + w.substr(5, 2));
  }
  assert.is(seen.size, 65532);
  assert.equal(s.take(), []);
  // wrapped: 1, 2 and 3 are in use, so 4
  r.c.publish("t", "", { qos: 1 });
  assert.equal(s.take(), ["320500017400" + "04"]);
  // 1 freed: the counter goes on (5), no scan back
  s.data("40020001");
  r.c.publish("t", "", { qos: 2 });
  assert.equal(s.take(), ["340500017400" + "05"]);
  r.c.unsubscribe("x");
  assert.equal(s.take(), ["a2050006" + "000178"]);
  assert.equal(r.events, []);
});

test("core session: the id after 65535 is 1 when it is free (never 0)", () => {
  const r = conn();
  const s = r.s();
  for (let i = 1; i <= 65535; i++) {
    r.c.subscribe("t");
    const w = s.out.pop()!;
    if (w.substr(2, 2) != bin(h16(i))) assert.unreachable("id " + i);
    s.fire("data", "\x90\x03" + w.substr(2, 2) + "\x00");
  }
  r.c.subscribe("t");
  assert.equal(s.take(), ["82060001000174" + "00"]);
});

test("core session: in-flight window: QoS 1/2 beyond it wait and go in order as acks free room; QoS 0 keeps its place behind them", () => {
  const r = conn({ inflightWindow: 2 });
  const log: string[] = [];
  const cb = (n: string) => (e: any) => log.push(n + (e ? ":" + e.code : ""));
  r.c.publish("a", "", { qos: 1 }, cb("a"));
  r.c.publish("b", "", { qos: 2 }, cb("b"));
  r.c.publish("c", "", { qos: 1 }, cb("c"));
  r.c.publish("d", "", cb("d")); // QoS 0 behind a waiting publish: waits too (order kept)
  r.c.publish("e", "", { qos: 1 }, cb("e"));
  assert.equal(r.s().take(), ["3205000161" + "0001", "3405000162" + "0002"]);
  assert.equal(log, []);
  r.s().data("50020002"); // PUBREC: b still in flight
  assert.equal(r.s().take(), ["62020002"]);
  r.s().data("40020001");
  // a done: c goes, then d (QoS 0, written: done), e waits for room again
  assert.equal(r.s().take(), ["3205000163" + "0003", "3003000164"]);
  assert.equal(log, ["a", "d"]);
  r.s().data("70020002");
  assert.equal(r.s().take(), ["3205000165" + "0004"]);
  r.s().data("40020003" + "40020004");
  assert.equal(log, ["a", "d", "b", "c", "e"]);
  assert.equal(r.events, []);
});

test("core session: a pending SUBSCRIBE takes a window slot; nonsense windows (0, -1, NaN) read as 8", () => {
  const r = conn({ inflightWindow: 1 });
  r.c.subscribe("s");
  r.c.publish("p", "", { qos: 1 });
  assert.equal(r.s().take(), ["82060001000173" + "00"]);
  r.s().data("9003000100");
  assert.equal(r.s().take(), ["3205000170" + "0002"]);
  for (const w of [0, -1, NaN]) {
    const x = conn({ inflightWindow: w });
    for (let i = 0; i < 10; i++) x.c.publish("p", "", { qos: 1 });
    assert.is(x.s().take().length, 8, "window " + w);
  }
});

test("core queue: offline publishes wait and go on connect in order (QoS 0/1/2 mixed), callbacks on completion", () => {
  const r = rig();
  const log: string[] = [];
  r.c.publish("a", "1", () => log.push("a"));
  r.c.publish("b", "2", { qos: 1 }, () => log.push("b"));
  r.c.publish("c", "3", { qos: 2, retain: true }, () => log.push("c"));
  r.c.publish("d", "4", () => log.push("d"));
  r.c.connect();
  assert.equal(log, []);
  assert.equal(r.up(), ["300400016131", "3206000162000132", "3506000163000233", "300400016434"]);
  assert.equal(log, ["a", "d"]);
  r.s().data("40020001" + "50020002");
  assert.equal(r.s().take(), ["62020002"]);
  r.s().data("70020002");
  assert.equal(log, ["a", "d", "b", "c"]);
  assert.equal(r.events, ["connect"]);
});

test("core queue: drop-oldest by count: the oldest goes, reported with QUEUE_DROPPED to its callback or as an error event", () => {
  const r = rig({ queue: { limit: 2 } });
  const log: string[] = [];
  r.c.publish("a", "1", (e: any) => log.push("a:" + (e && e.code)));
  r.c.publish("b", "2"); // no callback
  r.c.publish("c", "3", (e: any) => log.push("c:" + (e && e.code)));
  assert.equal(log, ["a:QUEUE_DROPPED"]);
  r.c.publish("d", "4", (e: any) => log.push("d:" + (e && e.code)));
  assert.equal(r.events, ["error:QUEUE_DROPPED"]);
  assert.match(r.errors[0].message, /b/);
  r.c.connect();
  assert.equal(r.up(), ["300400016333", "300400016434"]);
  assert.equal(log, ["a:QUEUE_DROPPED", "c:undefined", "d:undefined"]);
});

test("core queue: drop-new by count: the new publish is refused, the queue kept", () => {
  const r = rig({ queue: { limit: 2, policy: "drop-new" } });
  const log: string[] = [];
  for (const t of ["a", "b", "c", "d"]) r.c.publish(t, "", { qos: 1 }, (e: any) => log.push(t + ":" + (e && e.code)));
  assert.equal(log, ["c:QUEUE_DROPPED", "d:QUEUE_DROPPED"]);
  r.c.connect();
  assert.equal(r.up(), ["3205000161" + "0001", "3205000162" + "0002"]);
});

test("core queue: latest: one message per topic (the newest, at the end), then drop-oldest", () => {
  const r = rig({ queue: { limit: 3, policy: "latest" } });
  const log: string[] = [];
  const p = (t: string, v: string) => r.c.publish(t, v, (e: any) => log.push(t + v + ":" + (e && e.code)));
  p("t", "1");
  p("u", "2");
  p("t", "3"); // replaces t=1
  assert.equal(log, ["t1:QUEUE_DROPPED"]);
  p("v", "4");
  p("w", "5"); // over the count: the oldest (u=2) goes
  assert.equal(log, ["t1:QUEUE_DROPPED", "u2:QUEUE_DROPPED"]);
  r.c.connect();
  assert.equal(r.up(), ["300400017433", "300400017634", "300400017735"]);
});

test("core queue: the byte bound (topic + payload): oldest pushed out; a publish larger than the bound is dropped alone", () => {
  const r = rig({ queue: { bytes: 10 } });
  const log: string[] = [];
  const p = (t: string, v: string) => r.c.publish(t, v, (e: any) => log.push(t + ":" + (e && e.code)));
  p("a", "1234"); // 5
  p("b", "5678"); // 10: full
  assert.equal(log, []);
  p("c", "9"); // 12 > 10: a goes
  assert.equal(log, ["a:QUEUE_DROPPED"]);
  p("d", "0123456789"); // 11 on its own: dropped, the queue kept
  assert.equal(log, ["a:QUEUE_DROPPED", "d:QUEUE_DROPPED"]);
  r.c.connect();
  assert.equal(r.up(), ["3007000162" + "35363738", "300400016339"]);
  // drop-new with bytes
  const n = rig({ queue: { bytes: 10, policy: "drop-new" } });
  const nl: string[] = [];
  for (const t of ["a", "b", "c"]) n.c.publish(t, "1234", (e: any) => nl.push(t + ":" + (e && e.code)));
  assert.equal(nl, ["c:QUEUE_DROPPED"]);
  // limit 0: no offline queue at all
  const z = rig({ queue: { limit: 0 } });
  z.c.publish("a", "1");
  assert.equal(z.events, ["error:QUEUE_DROPPED"]);
  z.c.connect();
  assert.equal(z.up(), []);
});

test("core queue: flushed publishes free their bytes and count: the next offline period has the whole queue", () => {
  const r = conn({ queue: { limit: 2, bytes: 10 } });
  const log: string[] = [];
  for (let k = 0; k < 3; k++) {
    r.s().fire("close");
    for (const t of ["a", "b"]) r.c.publish(t, "1234", (e: any) => log.push(t + k + ":" + (e && e.code)));
    r.clock.advance(10 << k);
    assert.equal(r.up(), ["3007000161" + "31323334", "3007000162" + "31323334"], "period " + k);
  }
  assert.equal(log, ["a0:undefined", "b0:undefined", "a1:undefined", "b1:undefined", "a2:undefined", "b2:undefined"]);
});

test("core queue: the bounds apply to publishes waiting for the window too", () => {
  const r = conn({ inflightWindow: 1, queue: { limit: 1 } });
  const log: string[] = [];
  for (const t of ["a", "b", "c"]) r.c.publish(t, "", { qos: 1 }, (e: any) => log.push(t + ":" + (e && e.code)));
  assert.equal(log, ["b:QUEUE_DROPPED"]);
  assert.equal(r.s().take(), ["3205000161" + "0001"]);
  r.s().data("40020001");
  assert.equal(r.s().take(), ["3205000163" + "0002"]);
});

test("core queue: a drop callback that throws loses nothing else and keeps the queue in bounds", () => {
  const r = rig({ queue: { limit: 1 } });
  r.c.publish("a", "1", () => {
    throw new Error("cb");
  });
  assert.throws(() => r.c.publish("b", "2"), /cb/);
  r.c.publish("c", "3"); // pushes b out: an error event
  assert.equal(r.events, ["error:QUEUE_DROPPED"]);
  r.c.connect();
  assert.equal(r.up(), ["300400016333"]);
});

test("core end(): DISCONNECT; unacked then queued fail with ENDED, each once; close, end, then end's callback", () => {
  const r = conn({ inflightWindow: 1 });
  const log: string[] = [];
  r.c.on("end", () => log.push("end-event"));
  r.c.publish("a", "", { qos: 1 }, (e: any) => log.push("a:" + (e && e.code)));
  r.c.publish("b", "", { qos: 2 }, (e: any) => log.push("b:" + (e && e.code)));
  r.c.publish("c", "", (e: any) => log.push("c:" + (e && e.code)));
  r.c.subscribe("s", (e: any) => log.push("s:" + (e && e.code)));
  r.s().take();
  r.c.end(() => log.push("end-cb"));
  assert.equal(r.socks[0].take(), ["e000"]);
  assert.is(r.socks[0].ended, true);
  assert.equal(log, ["a:ENDED", "s:ENDED", "b:ENDED", "c:ENDED", "end-event", "end-cb"]);
  assert.equal(r.events, ["close", "end"]);
  assert.is(r.c.connected, false);
  assert.is(r.timers(), 0);
  // nothing of it after connect() again
  r.c.connect();
  assert.equal(r.up(), []); // (the SUBSCRIBE was never acknowledged: not kept)
  r.s().data("40020001");
  assert.equal(log.length, 6);
});

test("core end(): a publish or subscribe made by a 'close' listener during end() fails with ENDED too, not lost", () => {
  const r = conn();
  const log: string[] = [];
  r.c.on("close", () => {
    r.c.publish("late", "x", { qos: 1 }, (e: any) => log.push("late:" + (e && e.code)));
    r.c.publish("late0", "y", (e: any) => log.push("late0:" + (e && e.code)));
    r.c.subscribe("s", (e: any) => log.push("s:" + (e && e.code)));
  });
  r.c.end(() => log.push("end-cb"));
  // (in end()'s order: what awaits an ack, then the queue)
  assert.equal(log, ["s:ENDED", "late:ENDED", "late0:ENDED", "end-cb"]);
  // and nothing of them on the next connection
  r.c.connect();
  assert.equal(r.up(), []);
});

test("core end(): offline queue fails with ENDED; end(true) sends no DISCONNECT; a callback that throws stops neither the others nor end()", () => {
  const r = rig();
  const log: string[] = [];
  r.c.publish("a", "", (e: any) => {
    log.push("a:" + e.code);
    throw new Error("cb a");
  });
  r.c.publish("b", "", (e: any) => log.push("b:" + e.code));
  assert.throws(() => r.c.end(() => log.push("end-cb")), /cb a/);
  assert.equal(log, ["a:ENDED", "b:ENDED", "end-cb"]);
  assert.equal(r.events, ["end"]);
  const f = conn();
  f.c.end(true);
  assert.equal(f.s().take(), []);
  assert.is(f.s().ended, true);
  assert.equal(f.events, ["close", "end"]);
});

test("core end(): publishes after end() wait in the queue for the next connect()", () => {
  const r = conn();
  r.c.end();
  r.c.publish("a", "1");
  assert.equal(r.socks.length, 1);
  r.c.connect();
  assert.equal(r.up(), ["300400016131"]);
  assert.equal(r.events, ["close", "end", "connect"]);
});

test("core session: subscriptions outlive end(): connect() again resubscribes on a new session", () => {
  const r = conn();
  r.c.subscribe("k", { qos: 1 });
  r.s().data("9003000101");
  r.c.end();
  r.c.connect();
  assert.equal(r.up(), ["82060002" + "00016b" + "01"]);
  const u = uncaught(() => r.s().data("9003000201"));
  assert.is(u, undefined);
});

test.run();
