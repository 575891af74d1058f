/**
 * The tiny profile's client (src/tiny): driven on a virtual clock with
 * scripted sockets, so every byte and every millisecond is asserted exactly.
 * The real tiny bundle runs against brokers in tiny-brokers.test.ts and in
 * Duktape in bundle-duktape.test.ts.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tinyRig as rig, FakeSocket, CONNACK } from "./support/tiny-rig";


test("tiny: CONNECT bytes (3.1.1, clean, keepalive, id, credentials)", () => {
  const r = rig({ keepalive: 30 });
  r.c.connect();
  assert.is(r.socks.length, 1);
  assert.equal(r.s().target.host, "h");
  assert.equal(r.s().take(), []); // nothing before the socket opens
  r.s().onOpen();
  // 10 0d | 00 04 MQTT | 04 | flags 02 (clean) | keepalive 001e | id "c"
  assert.equal(r.s().take(), ["100d00044d5154540402001e000163"]);
  const u = rig({ username: "u", password: "pw" });
  u.c.connect();
  u.s().onOpen();
  // flags c2: username, password, clean
  assert.equal(u.s().take(), ["101400044d51545404c2003c0001630001750002" + "7077"]);
  const p = rig({ password: "pw" }); // a password without a username is not sent [MQTT-3.1.2-22]
  p.c.connect();
  p.s().onOpen();
  assert.equal(p.s().take(), ["100d00044d5154540402003c000163"]);
  assert.throws(() => rig({ clientId: "caf\u00e9" }), (e: any) => e.code == "BAD_STRING" && e.message == "BAD_STRING");
  assert.throws(() => rig({ username: "u", password: "p\u00e4ss" }), (e: any) => e.code == "BAD_STRING" && !/ss/.test(e.message));
});

test("tiny: publish QoS 0 (retain), done once written; OFFLINE, BAD_TOPIC reported, nothing written", () => {
  const r = rig();
  const log: any[] = [];
  r.c.publish("t", "x", (e: any) => log.push(e && e.code));
  r.c.publish("t", "x"); // no callback: the error event
  r.c.connect();
  r.up();
  r.c.publish("a/b", "hi", (e: any) => log.push(e));
  r.c.publish("a/b", "hi", { retain: true });
  r.c.publish("n", 21.5 as any);
  assert.equal(r.s().take(), ["300700036112f6268" .replace("12f6268", "2f626869"), "310700036" + "12f626869", "300700016e32312e35"]);
  for (const t of ["", "a/+", "a/#", "x\0", "t/\u00e9"]) r.c.publish(t, "p", (e: any) => log.push(e && e.code));
  r.c.publish("t", "\xff\x00"); // bytes are fine
  assert.equal(r.s().take(), ["300500017" + "4ff00"]);
  assert.equal(log, ["OFFLINE", undefined, "BAD_TOPIC", "BAD_TOPIC", "BAD_TOPIC", "BAD_TOPIC", "BAD_TOPIC"]);
  assert.equal(r.events, ["error:OFFLINE", "connect"]);
});

test("tiny: packets split at every byte, several in one chunk, a 2-byte remaining length", () => {
  const big = "ab".repeat(200); // 200 payload bytes: remaining length 205 = cd 01
  const stream =
    CONNACK +
    "9003000100" + // SUBACK
    "3007" + "0003612f62" + "7879" + // PUBLISH a/b = xy
    "30cd01" + "0003612f63" + big + // PUBLISH a/c, 200 bytes
    "d000" + // PINGRESP
    "3005" + "0001" + "74" + "0000"; // PUBLISH t = 00 00
  const want = ["a/b=7879", "a/c=" + big, "t=0000"];
  for (let cut = 1; cut < stream.length / 2; cut++) {
    const r = rig();
    r.c.connect();
    r.s().onOpen();
    r.s().data(stream.slice(0, cut * 2));
    r.s().data(stream.slice(cut * 2));
    assert.equal(r.msgs, want, "cut at " + cut);
    assert.equal(r.events, ["connect"]);
  }
  const r = rig();
  r.c.connect();
  r.s().onOpen();
  for (let i = 0; i < stream.length; i += 2) r.s().data(stream.slice(i, i + 2)); // one byte at a time
  assert.equal(r.msgs, want);
});

test("tiny: a remaining length over the maximum packet size (or 5 bytes long) drops the link", () => {
  const r = rig({ reconnect: { min: 100 } }, 1);
  r.c.connect();
  r.up();
  r.s().data("30 ff ff ff ff 7f"); // 5-byte remaining length [MQTT-2.2.3]
  assert.equal(r.events, ["connect", "error:PACKET_TOO_LARGE", "close", "offline"]);
  assert.is(r.socks[0].ended, true);
  r.socks[0].data("3005000174" + "0000"); // a dead socket's data is ignored
  assert.equal(r.msgs, []);
});

test("tiny: subscribe offline goes out on connect, every filter again after a reconnect; unsubscribe", () => {
  const r = rig({ reconnect: { min: 100 } }, 1);
  r.c.subscribe("a/+");
  r.c.connect();
  // SUBSCRIBE 82 | id 0001 | 0003 a/+ | QoS 0
  assert.equal(r.up(), ["100d00044d5154540402003c000163", "820800010003612f2b00"]);
  r.c.subscribe(["x", "y"]);
  assert.equal(r.s().take(), ["820a00020001780000017900"]);
  r.s().fire("close");
  assert.equal(r.events, ["connect", "close", "offline"]);
  r.clock.advance(100);
  assert.is(r.socks.length, 2);
  assert.equal(r.up().slice(1), ["821000030003612f2b0000017800000179" + "00"]);
  r.c.unsubscribe("x");
  assert.equal(r.s().take(), ["a205000400" + "0178"]);
  r.c.unsubscribe(["a/+", "zz"]);
  assert.equal(r.s().take(), ["a20b00050003612f2b00027a7a"]);
  r.s().fire("close");
  r.clock.advance(200); // (the second drop in a row: 2 x min; no keepalive check passed)
  assert.equal(r.up().slice(1), ["8206000600017900"]);
  assert.throws(() => r.c.subscribe("t/\u00e9"), (e: any) => e.code == "BAD_STRING");
});

test("tiny: PINGREQ only after keepalive with nothing sent; sends postpone it; no answer -> PING_TIMEOUT", () => {
  const r = rig({ keepalive: 10, reconnect: { min: 1000 } }, 1);
  r.c.connect();
  r.up();
  r.clock.advance(9999);
  assert.equal(r.s().take(), []);
  r.clock.advance(1);
  assert.equal(r.s().take(), ["c000"]); // 10 s after CONNECT
  r.s().data("d000");
  r.clock.advance(4000);
  r.c.publish("t", "1"); // at 14 s: the next ping moves to 24 s
  r.s().take();
  r.clock.advance(9999);
  assert.equal(r.s().take(), []);
  r.clock.advance(1);
  assert.equal(r.s().take(), ["c000"]); // 24 s
  r.clock.advance(5000);
  r.c.publish("t", "2"); // a send while the ping is unanswered does not postpone the timeout
  r.s().take();
  r.clock.advance(4999);
  assert.is(r.s().ended, false);
  r.clock.advance(1);
  assert.is(r.s().ended, true); // 34 s: 10 s after the PINGREQ
  assert.equal(r.events, ["connect", "error:PING_TIMEOUT", "close", "offline"]);
  const z = rig({ keepalive: 0 });
  z.c.connect();
  z.up();
  assert.is(z.clock.pending(), 0); // keepalive 0: no timer at all
  z.clock.advance(1e7);
  assert.equal(z.s().take(), []);
});

test("tiny: backoff min x 2^n capped at max, x random (full jitter), reset once a connection outlived a keepalive check", () => {
  const r = rig({ reconnect: { min: 1000, max: 5000 } }, 0.5);
  r.c.connect();
  const gaps: number[] = [];
  for (let i = 0; i < 6; i++) {
    const n = r.socks.length,
      t = r.clock.now();
    r.s().fire("error", { message: "connection refused" });
    r.s().fire("close");
    while (r.socks.length == n) r.clock.advance(1);
    gaps.push(r.clock.now() - t);
  }
  // 0.5 x (1000, 2000, 4000, 5000, 5000, 5000)
  assert.equal(gaps, [500, 1000, 2000, 2500, 2500, 2500]);
  assert.equal(r.events.slice(0, 4), ["error:NET: connection refused", "close", "reconnect", "error:NET: connection refused"]);
  r.up();
  // accepted, then closed at once (another device with this client id...): still at the cap
  r.s().fire("close");
  let t = r.clock.now();
  r.clock.advance(2499);
  assert.is(r.socks.length, 7);
  r.clock.advance(1);
  assert.is(r.socks.length, 8);
  r.up();
  r.clock.advance(60000); // a keepalive check (PINGREQ): this connection lasted
  assert.equal(r.s().take().slice(-1), ["c000"]);
  r.s().fire("close"); // from the start again
  t = r.clock.now();
  r.clock.advance(499);
  assert.is(r.socks.length, 8);
  r.clock.advance(1);
  assert.is(r.socks.length, 9);
  assert.is(r.clock.now() - t, 500);
});

test("tiny: CONNACK refused, connect timeout, a dial that throws, end() stops everything", () => {
  const r = rig({ reconnect: { min: 10 } }, 1);
  r.c.connect();
  r.s().onOpen();
  r.s().data("20020005");
  assert.equal(r.events, ["error:CONNACK_REFUSED: 5", "close"]);
  r.clock.advance(10);
  r.clock.advance(30000); // opened, no CONNACK
  assert.equal(r.events.slice(2), ["reconnect", "error:CONNECT_TIMEOUT", "close"]);
  r.failDial(new Error("Unable to locate host"));
  r.clock.advance(40);
  assert.equal(r.events.slice(5), ["reconnect", "error:NET: Unable to locate host", "close"]);
  r.failDial(null);
  r.clock.advance(80);
  r.up();
  r.c.end();
  assert.equal(r.s().take(), ["e000"]); // DISCONNECT
  assert.is(r.s().ended, true);
  assert.equal(r.events.slice(8), ["reconnect", "connect", "close", "end"]);
  r.clock.advance(1e7);
  assert.is(r.clock.pending(), 0);
  assert.is(r.socks.length, 3); // (the dial that threw made no socket)
  // end(true): no DISCONNECT; end inside an error listener: no reconnect
  const f = rig();
  f.c.connect();
  f.up();
  f.c.end(true);
  assert.equal(f.s().take(), []);
  const g = rig();
  g.c.on("error", () => g.c.end());
  g.c.connect();
  g.s().fire("error", { message: "reset" });
  g.clock.advance(1e7);
  assert.is(g.socks.length, 1);
  // (end() ran inside the error event, before the drop's own close event)
  assert.equal(g.events, ["error:NET: reset", "end", "close"]);
});

test("tiny: a refused filter is not kept; a throwing listener neither repeats a message nor loses the next", () => {
  const r = rig({ reconnect: { min: 10 } }, 1);
  r.c.connect();
  r.up();
  r.c.subscribe("ok/#");
  assert.throws(() => r.c.subscribe(["x", "\u00e9/x"]), (e: any) => e.code == "BAD_STRING");
  r.s().take();
  let n = 0;
  r.c.on("message", () => {
    if (n++ == 0) throw new Error("listener");
  });
  assert.throws(() => r.s().data("3006" + "00026f6b" + "3031" + "3006" + "00026f6b" + "3032"), /listener/);
  r.s().data(""); // the next chunk goes on after the message whose listener threw
  assert.equal(r.msgs, ["ok=3031", "ok=3032"]);
  r.s().fire("close");
  r.clock.advance(10);
  // renewed: ok/# only (SUBSCRIBE id 0002)
  assert.equal(r.up().slice(1), ["82090002" + "00046f6b2f23" + "00"]);
  assert.equal(r.events, ["connect", "close", "offline", "reconnect", "connect"]);
});

test.run();
