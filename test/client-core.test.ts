/**
 * The core profile's client (src/core): the protocol, driven on a virtual
 * clock with scripted sockets, so every byte is asserted exactly. CONNECT,
 * QoS 0/1/2 both ways, subscribe/unsubscribe, routes and UTF-8 strings.
 * Sessions: client-core-session; timers: client-core-timing; bad input
 * from the caller or the broker: client-core-input.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { coreRig as rig, connected, openRig, pubHex, utf8hex, bin } from "./support/core-rig";

/** A connected rig (CONNECT and CONNACK done, events cleared). */
const conn = (opts: any = {}, random = 0.5) => connected(rig(opts, random));

// ---- CONNECT ----

test("core: CONNECT bytes: 3.1.1, clean, keepalive 60 by default, client id; nothing before the socket opens", () => {
  const r = rig();
  r.c.connect();
  assert.is(r.socks.length, 1);
  assert.equal(r.s().target.host, "h");
  assert.equal(r.s().target.port, 1883);
  assert.equal(r.s().take(), []);
  // 10 0d | 00 04 MQTT | 04 | flags 02 (clean) | keepalive 003c | id "c"
  assert.equal(r.open(), ["100d00044d5154540402003c000163"]);
  assert.is(r.c.connected, false);
  r.s().data("20020000");
  assert.is(r.c.connected, true);
  assert.equal(r.events, ["connect"]);
  assert.equal(r.connacks, [{ sessionPresent: false }]);
  assert.equal(r.s().take(), []);
});

test("core: CONNECT with will (QoS 1, retain), username, password, clean false, keepalive 30", () => {
  const r = rig({ keepalive: 30, clean: false, username: "u", password: "pw", will: { topic: "w/t", payload: "bye", qos: 1, retain: true } });
  r.c.connect();
  // flags ec: username 80, password 40, will retain 20, will QoS 1 08, will 04, no clean
  assert.equal(r.open(), ["101e00044d51545404ec001e000163" + "0003772f74" + "0003627965" + "000175" + "00027077"]);
});

test("core: CONNECT with UTF-8 id/username/will topic, binary will payload, will QoS 2 no retain, keepalive 0", () => {
  const r = rig({ clientId: "caf\u00e9", keepalive: 0, username: "\u00fc", will: { topic: "\u00e9/t", payload: "\x00\xff", qos: 2 } });
  r.c.connect();
  // flags 96: username 80, will QoS 2 10, will 04, clean 02; the will payload is bytes, not UTF-8
  assert.equal(r.open(), ["101f00044d515454049600000005636166c3a90004c3a92f74000200ff0002c3bc"]);
  const w0 = rig({ will: { topic: "w", payload: "" } });
  w0.c.connect();
  // flags 06: will at QoS 0, clean; empty will payload
  assert.equal(w0.open(), ["101200044d5154540406003c0001630001770000"]);
});

test("core: a password without a username is not sent [MQTT-3.1.2-22]; an empty client id forces clean session [MQTT-3.1.3-7]", () => {
  const p = rig({ password: "pw" });
  p.c.connect();
  assert.equal(p.open(), ["100d00044d5154540402003c000163"]);
  const e = rig({ clientId: "", clean: false });
  e.c.connect();
  assert.equal(e.open(), ["100c00044d5154540402003c0000"]);
  const k = rig({ keepalive: 65535, clean: false });
  k.c.connect();
  assert.equal(k.open(), ["100d00044d5154540400ffff000163"]);
});

test("core: a client id, username or password with no UTF-8 form (lone surrogate) throws BAD_STRING at creation", () => {
  for (const o of [{ clientId: "a\ud800" }, { username: "\udc00" }, { username: "u", password: "p\ud83d" }, { will: { topic: "t\ud800", payload: "" } }])
    assert.throws(
      () => rig(o as any),
      (e: any) => e.code == "BAD_STRING" || e.code == "BAD_OPTION",
      JSON.stringify(o),
    );
  // a surrogate pair is one character: 4 UTF-8 bytes
  const r = rig({ clientId: "\ud83d\ude00" });
  r.c.connect();
  assert.equal(r.open(), ["101000044d5154540402003c0004f09f9880"]);
});

// ---- outgoing PUBLISH ----

test("core: publish QoS 0: exact bytes, retain flag, done once written; a number payload is its decimal string", () => {
  const r = conn();
  const log: any[] = [];
  r.c.publish("a/b", "hi", (e: any) => log.push(["a", e]));
  r.c.publish("a/b", "hi", { retain: true }, (e: any) => log.push(["b", e]));
  r.c.publish("n", 21.5);
  r.c.publish("t", "\xff\x00"); // bytes as they are
  r.c.publish("e", "");
  assert.equal(r.s().take(), ["30070003612f626869", "31070003612f626869", "300700016e32312e35", "3005000174ff00", "3003000165"]);
  assert.equal(log, [
    ["a", undefined],
    ["b", undefined],
  ]);
  assert.equal(r.events, []);
});

test("core: publish QoS 1: id 1, callback only on its PUBACK (not another id's, not a PUBREC/PUBCOMP)", () => {
  const r = conn();
  const log: any[] = [];
  r.c.publish("a/b", "hi", { qos: 1 }, (e: any) => log.push(e));
  r.c.publish("a/b", "hi", { qos: 1, retain: true });
  assert.equal(r.s().take(), ["32090003612f6200016869", "33090003612f6200026869"]);
  r.s().data("40020009"); // unknown id: nothing
  r.s().data("70020001"); // PUBCOMP for a QoS 1 publish: not its ack
  assert.equal(log, []);
  r.s().data("50020001"); // PUBREC for a QoS 1 publish: answered (unknown flow) but does not complete it
  assert.equal(r.s().take(), ["62020001"]);
  assert.equal(log, []);
  r.s().data("40020001");
  assert.equal(log, [undefined]);
  r.s().data("40020001"); // a duplicate PUBACK: nothing more
  assert.equal(log, [undefined]);
  assert.equal(r.s().take(), []);
  assert.equal(r.events, []);
});

test("core: publish QoS 2: PUBREC -> PUBREL, callback only on PUBCOMP; a PUBACK does not complete it", () => {
  const r = conn();
  const log: any[] = [];
  r.c.publish("a/b", "hi", { qos: 2 }, (e: any) => log.push(e));
  assert.equal(r.s().take(), ["34090003612f6200016869"]);
  r.s().data("40020001"); // PUBACK for a QoS 2 publish
  r.s().data("70020001"); // PUBCOMP before PUBREC
  assert.equal(log, []);
  assert.equal(r.s().take(), []);
  r.s().data("50020001");
  assert.equal(r.s().take(), ["62020001"]); // PUBREL, flags 0010
  assert.equal(log, []);
  r.s().data("50020001"); // PUBREC again (the broker lost our PUBREL): PUBREL again
  assert.equal(r.s().take(), ["62020001"]);
  r.s().data("70020001");
  assert.equal(log, [undefined]);
  r.s().data("70020001");
  assert.equal(log, [undefined]);
  r.s().data("50020077"); // PUBREC for an unknown id: PUBREL so the server can free it
  assert.equal(r.s().take(), ["62020077"]);
  assert.equal(r.events, []);
});

test("core: QoS 1 and 2 ids count up from 1 and acks may come out of order", () => {
  const r = conn();
  const log: string[] = [];
  for (let i = 0; i < 4; i++) r.c.publish("t", "" + i, { qos: (i % 2) + 1 }, () => log.push("" + i));
  assert.equal(r.s().take(), ["3206000174000130", "3406000174000231", "3206000174000332", "3406000174000433"]);
  r.s().data("40020003" + "50020004" + "40020001" + "50020002");
  assert.equal(r.s().take(), ["62020004", "62020002"]);
  r.s().data("70020002" + "70020004");
  assert.equal(log, ["2", "0", "1", "3"]);
});

// ---- incoming PUBLISH ----

test("core: incoming QoS 0 and QoS 1: PUBACK before the message event, packet fields", () => {
  const r = conn();
  const order: string[] = [];
  const s = r.s();
  const w = s.write.bind(s);
  s.write = (x: string) => (order.push("write"), w(x));
  r.c.on("message", () => order.push("message"));
  s.data(pubHex("a/b", "6869"));
  s.data(pubHex("a/c", "00ff", 1, 7, 1)); // retain
  assert.equal(s.take(), ["40020007"]);
  assert.equal(order, ["message", "write", "message"]);
  assert.equal(r.msgs, ["a/b=6869", "a/c=00ff"]);
  assert.equal(r.pkts, [
    { topic: "a/b", payload: "hi", qos: 0, retain: false, dup: false, messageId: 0 },
    { topic: "a/c", payload: "\x00\xff", qos: 1, retain: true, dup: false, messageId: 7 },
  ]);
  // QoS 1 again with DUP: delivered again (at least once), acked again
  s.data(pubHex("a/c", "00ff", 1, 7, 8));
  assert.equal(s.take(), ["40020007"]);
  assert.equal(r.msgs.length, 3);
  assert.is(r.pkts[2].dup, true);
  assert.equal(r.events, []);
});

test("core: incoming QoS 2: PUBREC, delivered once until PUBREL, PUBCOMP; then the id is new again", () => {
  const r = conn();
  const s = r.s();
  s.data(pubHex("q", "31", 2, 5));
  assert.equal(s.take(), ["50020005"]);
  s.data(pubHex("q", "31", 2, 5, 8)); // resent with DUP before PUBREL: acked, not delivered
  s.data(pubHex("q", "32", 2, 5)); // (even without DUP: the id is still in use)
  assert.equal(s.take(), ["50020005", "50020005"]);
  assert.equal(r.msgs, ["q=31"]);
  assert.equal(r.pkts[0].messageId, 5);
  assert.equal(r.pkts[0].qos, 2);
  s.data("62020005");
  assert.equal(s.take(), ["70020005"]);
  s.data("62020005"); // PUBREL again: PUBCOMP again
  s.data("62020063"); // PUBREL for an unknown id: PUBCOMP so the server can free it
  assert.equal(s.take(), ["70020005", "70020063"]);
  s.data(pubHex("q", "33", 2, 5)); // a new message with the freed id
  assert.equal(s.take(), ["50020005"]);
  assert.equal(r.msgs, ["q=31", "q=33"]);
  // two QoS 2 flows at once are independent
  s.data(pubHex("q", "34", 2, 6) + pubHex("q", "35", 2, 7) + pubHex("q", "34", 2, 6, 8) + "62020006" + pubHex("q", "36", 2, 6));
  assert.equal(s.take(), ["50020006", "50020007", "50020006", "70020006", "50020006"]);
  assert.equal(r.msgs, ["q=31", "q=33", "q=34", "q=35", "q=36"]);
  assert.equal(r.events, []);
});

test("core: packets split at every byte, several in one chunk, a 2-byte remaining length", () => {
  const big = "ab".repeat(200);
  const stream =
    "20020000" +
    "d000" + // PINGRESP
    pubHex("a/b", "7879") +
    pubHex("a/c", big) + // remaining length 205 = cd 01
    pubHex("t", "0000", 1, 1);
  const want = ["a/b=7879", "a/c=" + big, "t=0000"];
  assert.ok(stream.includes("30cd01"));
  for (let cut = 1; cut < stream.length / 2; cut++) {
    const r = openRig();
    r.s().data(stream.slice(0, cut * 2));
    r.s().data(stream.slice(cut * 2));
    assert.equal(r.msgs, want, "cut at " + cut);
    assert.equal(r.s().take(), ["40020001"]);
    assert.equal(r.events, ["connect"]);
  }
  const r = openRig();
  for (let i = 0; i < stream.length; i += 2) r.s().data(stream.slice(i, i + 2));
  assert.equal(r.msgs, want);
});

// ---- subscribe / unsubscribe ----

test("core: subscribe a string: SUBSCRIBE bytes, cb(null, granted) after SUBACK", () => {
  const r = conn();
  const log: any[] = [];
  r.c.subscribe("a/+", (e: any, g: any) => log.push([e, g]));
  assert.equal(r.s().take(), ["820800010003612f2b00"]);
  r.s().data("9003000200"); // another id: nothing
  assert.equal(log, []);
  r.s().data("9003000101");
  assert.equal(log.length, 1);
  assert.ok(log[0][0] == null);
  assert.equal(log[0][1], [1]);
  r.s().data("9003000101"); // duplicate SUBACK: nothing
  assert.equal(log.length, 1);
});

test("core: subscribe an array at opts.qos and an object {filter: qos}", () => {
  const r = conn();
  const log: any[] = [];
  r.c.subscribe(["a", "b/#"], { qos: 1 }, (e: any, g: any) => log.push([e, g]));
  r.c.subscribe({ x: 2, "y/z": 0 }, (e: any, g: any) => log.push([e, g]));
  r.c.subscribe(["d"]); // default QoS 0, no callback
  assert.equal(r.s().take(), ["820c0001000161010003622f2301", "820c0002000178020003792f7a00", "82060003000164" + "00"]);
  r.s().data("90040002" + "0200" + "900400010101" + "9003000300");
  assert.equal(log.length, 2);
  assert.ok(log[0][0] == null && log[1][0] == null);
  assert.equal(log[0][1], [2, 0]);
  assert.equal(log[1][1], [1, 1]);
  assert.equal(r.events, []);
});

test("core: SUBACK 0x80 -> SUBACK_FAILED with the granted codes; a refused filter is not kept for resubscription", () => {
  const r = conn({ reconnect: { min: 10, jitter: 0 } });
  const log: any[] = [];
  r.c.subscribe(["ok", "no"], { qos: 1 }, (e: any, g: any) => log.push([e && e.code, g]));
  r.c.subscribe("bad"); // no callback: the error event
  r.s().take();
  r.s().data("900400010180" + "9003000280");
  assert.equal(log, [["SUBACK_FAILED", [1, 0x80]]]);
  assert.equal(r.events, ["error:SUBACK_FAILED"]);
  assert.match(r.errors[0].message, /bad/);
  // a new session: only the granted filter is subscribed again
  r.s().fire("close");
  r.clock.advance(10);
  assert.equal(r.up(), ["82070003" + "00026f6b" + "01"]);
});

test("core: unsubscribe a string and an array: UNSUBSCRIBE bytes, cb after UNSUBACK; the filters are no longer resubscribed", () => {
  const r = conn({ reconnect: { min: 10, jitter: 0 } });
  const log: any[] = [];
  r.c.subscribe(["a", "b/#", "c"]);
  r.s().data("9005000100" + "0000");
  r.s().take();
  r.c.unsubscribe("a", (e: any) => log.push(["a", e]));
  r.c.unsubscribe(["a", "b/#"], (e: any) => log.push(["ab", e]));
  assert.equal(r.s().take(), ["a20500020001" + "61", "a20a00030001610003622f23"]);
  r.s().data("b0020009"); // unknown id
  r.s().data("b0020003");
  assert.equal(log, [["ab", undefined]]);
  r.s().data("b0020002");
  assert.equal(log, [
    ["ab", undefined],
    ["a", undefined],
  ]);
  r.s().fire("close");
  r.clock.advance(10);
  assert.equal(r.up(), ["82060004" + "000163" + "00"]);
});

test("core: subscribe and unsubscribe while offline go out after CONNECT in order", () => {
  const r = rig();
  r.c.subscribe("x/#", { qos: 2 });
  r.c.unsubscribe("y");
  r.c.connect();
  assert.equal(r.up(), ["82080001" + "0003782f23" + "02", "a2050002" + "000179"]);
});

// ---- routes ----

test("core: routes by filter with + and #, after the message event; $ topics only for filters starting with $", () => {
  const r = conn();
  const hit: string[] = [];
  const order: string[] = [];
  r.c.on("message", () => order.push("message"));
  const h = (name: string) => (t: string, p: string, m: any) => (hit.push(name + ":" + t + "=" + p), order.push(name), assert.is(m.topic, t));
  r.c.route("a/+/c", h("plus"));
  r.c.route("#", h("all"));
  r.c.route("a/#", h("a#"));
  r.c.route("+/x", h("+x"));
  r.c.route("$SYS/#", h("sys"));
  r.c.route("+/+", h("++"));
  r.s().data(pubHex("a/b/c", "31"));
  r.s().data(pubHex("a", "32"));
  r.s().data(pubHex("$SYS/x", "33"));
  r.s().data(pubHex("q/x", "34"));
  r.s().data(pubHex("a/b/c/d", "35"));
  assert.equal(hit, [
    "plus:a/b/c=1",
    "all:a/b/c=1",
    "a#:a/b/c=1",
    "all:a=2",
    "a#:a=2", // a/# matches the parent level [MQTT-4.7.1-2]
    "sys:$SYS/x=3",
    "all:q/x=4",
    "+x:q/x=4",
    "++:q/x=4",
    "all:a/b/c/d=5",
    "a#:a/b/c/d=5",
  ]);
  assert.equal(order.slice(0, 4), ["message", "plus", "all", "a#"]);
});

test("core: subscribe({handler}) routes its filters; unsubscribe removes their routes at once", () => {
  const r = conn();
  const hit: string[] = [];
  r.c.subscribe(["s/+", "k"], { handler: (t: string) => hit.push("h:" + t) });
  r.c.route("k", (t: string) => hit.push("k:" + t));
  r.s().data(pubHex("s/1", "") + pubHex("k", "") + pubHex("z", ""));
  assert.equal(hit, ["h:s/1", "h:k", "k:k"]);
  r.c.unsubscribe("k");
  r.s().data(pubHex("s/2", "") + pubHex("k", ""));
  assert.equal(hit, ["h:s/1", "h:k", "k:k", "h:s/2"]);
  assert.equal(r.msgs.length, 5); // the message event still sees everything
});

// ---- UTF-8 ----

test("core: UTF-8 topics out: publish, subscribe and unsubscribe encode them (2-, 3- and 4-byte forms)", () => {
  const r = conn();
  r.c.publish("\u00e9/\ud83d\ude00", "x", { qos: 1 });
  r.c.publish("\u20ac", "y");
  r.c.subscribe("\u00fc/#");
  r.c.unsubscribe("\u00fc/#");
  assert.equal(r.s().take(), ["320c0007c3a92ff09f9880000178", "30060003e282ac79", "82090002" + "0004c3bc2f23" + "00", "a2080003" + "0004c3bc2f23"]);
});

test("core: UTF-8 topics in: decoded for the message event and routes; payload bytes untouched", () => {
  const r = conn();
  const hit: string[] = [];
  r.c.route("\u00e9/+", (t: string) => hit.push(t));
  r.s().data(pubHex("\u00e9/\ud83d\ude00", "c3a9"));
  r.s().data(pubHex("\u20ac", ""));
  assert.equal(r.pkts.map((m) => m.topic), ["\u00e9/\ud83d\ude00", "\u20ac"]);
  assert.equal(r.pkts[0].payload, bin("c3a9")); // bytes, not decoded
  assert.equal(hit, ["\u00e9/\ud83d\ude00"]);
  assert.ok(pubHex("\u00e9/\ud83d\ude00", "").startsWith("3009" + "0007" + utf8hex("\u00e9/\ud83d\ude00")));
});

test.run();
