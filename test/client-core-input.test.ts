/**
 * The core profile's client (src/core) against bad input: caller errors
 * (reported with exact codes to the callback or as `error`, nothing written
 * or queued), bad options (thrown at creation), broker errors (an `error`
 * with its code, the connection dropped, then the reconnect path), and
 * listeners or callbacks that throw or call end() inside events.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { coreRig as rig, connRig as conn, openRig, pubHex, bhex, uncaught, vbi } from "./support/core-rig";

/** SUBSCRIBE/UNSUBSCRIBE packets (hex) -> their filters. */
function filtersOf(pkts: string[]): string[] {
  const out: string[] = [];
  for (const h of pkts) {
    const b = Buffer.from(h, "hex");
    if (b[0] != 0x82 && b[0] != 0xa2) continue;
    let i = 1;
    while (b[i] & 128) i++;
    i += 3; // last length byte, packet id
    while (i < b.length) {
      const n = (b[i] << 8) | b[i + 1];
      out.push(b.subarray(i + 2, i + 2 + n).toString("utf8"));
      i += 2 + n + (b[0] == 0x82 ? 1 : 0);
    }
  }
  return out;
}

// ---- caller errors ----

const BAD_PUBLISH: [string, any, any, any][] = [
  ["BAD_TOPIC", 123, "p", {}],
  ["BAD_TOPIC", undefined, "p", {}],
  ["BAD_TOPIC", null, "p", {}],
  ["BAD_TOPIC", { t: 1 }, "p", {}],
  ["BAD_TOPIC", "", "p", {}],
  ["BAD_TOPIC", "a/+", "p", {}],
  ["BAD_TOPIC", "+", "p", {}],
  ["BAD_TOPIC", "a/#", "p", {}],
  ["BAD_TOPIC", "#", "p", {}],
  ["BAD_TOPIC", "a\0b", "p", {}],
  ["BAD_TOPIC", "t\ud800", "p", {}], // no UTF-8 form [MQTT-1.5.3-1]
  ["BAD_TOPIC", "a/+", 5 as any, { qos: 3 }], // the topic first
  ["BAD_QOS", "t", "p", { qos: 3 }],
  ["BAD_QOS", "t", "p", { qos: 1.5 }],
  ["BAD_QOS", "t", "p", { qos: "1" }],
  ["BAD_QOS", "t", "p", { qos: -1 }],
  ["BAD_QOS", "t", undefined, { qos: 4 }], // the QoS before the payload
  ["BAD_PAYLOAD", "t", undefined, {}],
  ["BAD_PAYLOAD", "t", null, {}],
  ["BAD_PAYLOAD", "t", { a: 1 }, {}],
  ["BAD_PAYLOAD", "t", true, {}],
  ["BAD_PAYLOAD", "t", new Uint8Array([1]), {}], // the core client takes binary strings
  ["BAD_PAYLOAD", "t", ["x"], { qos: 1 }],
];

test("core input: bad publish arguments -> exact code to the callback, nothing written (connected)", () => {
  const r = conn();
  for (const [code, t, p, o] of BAD_PUBLISH) {
    const got: any[] = [];
    r.c.publish(t, p, o, (e: any) => got.push(e && e.code));
    assert.equal(got, [code], String(t) + " " + JSON.stringify(o));
  }
  assert.equal(r.s().take(), []);
  assert.equal(r.events, []);
  // no id was taken by them
  r.c.publish("t", "", { qos: 1 });
  assert.equal(r.s().take(), ["3205000174" + "0001"]);
});

test("core input: bad publish arguments without callback -> an error event each; nothing queued offline", () => {
  const r = rig();
  for (const [, t, p, o] of BAD_PUBLISH) r.c.publish(t, p, o);
  assert.equal(
    r.events,
    BAD_PUBLISH.map((x) => "error:" + x[0]),
  );
  r.c.connect();
  assert.equal(r.up(), []);
});

test("core input: a publish over maxPacketSize -> PACKET_TOO_LARGE; the exact fit goes (header, topic as UTF-8, id counted)", () => {
  const r = conn({ maxPacketSize: 20 });
  const log: any[] = [];
  const cb = (e: any) => log.push(e && e.code);
  r.c.publish("t", "x".repeat(15), cb); // 2 + 3 + 15 = 20
  r.c.publish("t", "x".repeat(16), cb);
  r.c.publish("t", "x".repeat(13), { qos: 1 }, cb); // 2 + 3 + 2 + 13 = 20
  r.c.publish("t", "x".repeat(14), { qos: 2 }, cb);
  r.c.publish("\u00e9", "x".repeat(15), cb); // é: 2 bytes: 21
  r.c.publish("t", "x".repeat(16)); // no callback: error event
  assert.equal(log, [undefined, "PACKET_TOO_LARGE", "PACKET_TOO_LARGE", "PACKET_TOO_LARGE"]);
  assert.equal(r.events, ["error:PACKET_TOO_LARGE"]);
  const w = r.s().take();
  assert.equal(w.map((h) => h.length / 2), [20, 20]);
  assert.equal(w[1].slice(0, 12), "321200017400");
  // the remaining length grows to 2 bytes at 128: 1 + 2 + 128 fits 131, not 130
  const b = conn({ maxPacketSize: 130 });
  b.c.publish("t", "y".repeat(125), (e: any) => log.push(e && e.code)); // remaining 128
  assert.equal(log.slice(-1), ["PACKET_TOO_LARGE"]);
  const c = conn({ maxPacketSize: 131 });
  c.c.publish("t", "y".repeat(125));
  assert.equal(c.s().take().map((h) => h.length / 2), [131]);
});

test("core input: a payload char above 0xFF never reaches the socket as is: BAD_PAYLOAD, or sent as UTF-8 with the right length", () => {
  const r = conn();
  const got: any[] = [];
  r.c.publish("t", "\u20ac", (e: any) => got.push(e && e.code));
  const w = r.s().out.splice(0);
  if (got[0] == "BAD_PAYLOAD") assert.equal(w, []);
  else {
    assert.ok(w.every((x) => !/[^\0-\xff]/.test(x)), "a write holds chars above 0xFF: " + JSON.stringify(w));
    assert.equal(w.map(bhex), ["3006000174e282ac"]);
  }
  // the will payload likewise
  let c: any;
  const x: any = uncaught(() => (c = rig({ will: { topic: "w", payload: "\u20ac" } })));
  if (x) return assert.is(x.code, "BAD_OPTION");
  c.c.connect();
  c.s().onOpen();
  const v = c.s().out.splice(0);
  assert.ok(v.every((x: string) => !/[^\0-\xff]/.test(x)), "the CONNECT holds chars above 0xFF");
});

test("core input: a too-large publish offline is refused at once, not queued", () => {
  const r = rig({ maxPacketSize: 20 }); // (the CONNECT is 15 bytes)
  const log: any[] = [];
  r.c.publish("t", "x".repeat(30), (e: any) => log.push(e && e.code));
  assert.equal(log, ["PACKET_TOO_LARGE"]);
  r.c.connect();
  assert.equal(r.up(), []);
});

test("core input: bad filters -> BAD_FILTER to the callback or as an error event; nothing written, no id taken", () => {
  const r = conn();
  const bad: [any, any][] = [
    ["", {}],
    ["a+", {}],
    ["a/+b", {}],
    ["a/#/b", {}],
    ["#a", {}],
    ["a/b#", {}],
    ["a\0", {}],
    [5, {}],
    [undefined, {}],
    [[], {}],
    [{}, {}],
    [["ok", ""], {}],
    [["ok", 7], {}],
    ["ok", { qos: 3 }],
    ["ok", { qos: 1.5 }],
    ["ok", { qos: "1" }],
    [{ ok: 3 }, {}],
    [{ ok: "0" }, {}],
  ];
  for (const [f, o] of bad) {
    const got: any[] = [];
    r.c.subscribe(f, o, (e: any) => got.push(e && e.code));
    assert.equal(got, ["BAD_FILTER"], "subscribe " + JSON.stringify(f) + " " + JSON.stringify(o));
  }
  for (const f of ["", "a+", [], ["ok", "#/x"], 5]) {
    const got: any[] = [];
    r.c.unsubscribe(f, (e: any) => got.push(e && e.code));
    assert.equal(got, ["BAD_FILTER"], "unsubscribe " + JSON.stringify(f));
  }
  r.c.subscribe("a+");
  r.c.unsubscribe("");
  assert.equal(r.events, ["error:BAD_FILTER", "error:BAD_FILTER"]);
  assert.equal(r.s().take(), []);
  // valid edge filters go; ids from 1
  r.c.subscribe(["#", "+", "/", "+/+/#", "$SYS/#"]);
  assert.equal(filtersOf(r.s().take()), ["#", "+", "/", "+/+/#", "$SYS/#"]);
  r.c.unsubscribe("+");
  assert.equal(r.s().take(), ["a2050002" + "00012b"]);
});

test("core input: a filter with no UTF-8 form (lone surrogate) is a caller error reported to the callback, not an exception", () => {
  const r = conn();
  const got: any[] = [];
  const x = uncaught(() => r.c.subscribe("a/\ud800", (e: any) => got.push(e && e.code)));
  const y = uncaught(() => r.c.unsubscribe(["ok", "\udc00"], (e: any) => got.push(e && e.code)));
  assert.is(x, undefined, "subscribe threw " + x);
  assert.is(y, undefined, "unsubscribe threw " + y);
  assert.equal(got.length, 2);
  assert.ok(got.every((c) => c == "BAD_FILTER" || c == "BAD_STRING"), got.join());
  assert.equal(r.s().take(), []);
});

test("core input: a SUBSCRIBE/UNSUBSCRIBE that fits maxPacketSize exactly is sent; one byte over -> PACKET_TOO_LARGE", () => {
  const r = conn({ maxPacketSize: 20 });
  const log: any[] = [];
  const cb = (e: any) => log.push(e && e.code);
  r.c.subscribe("f".repeat(14), cb); // 1 + 1 + 2 + 2 + 14 + 1 = 21
  r.c.unsubscribe("f".repeat(15), cb); // 1 + 1 + 2 + 2 + 15 = 21
  assert.equal(log, ["PACKET_TOO_LARGE", "PACKET_TOO_LARGE"]);
  assert.equal(r.s().take(), []);
  r.c.subscribe("f".repeat(13), cb); // 20
  r.c.unsubscribe("f".repeat(14), cb); // 20
  assert.equal(log, ["PACKET_TOO_LARGE", "PACKET_TOO_LARGE"]);
  assert.equal(r.s().take().map((h) => h.length / 2), [20, 20]);
});

test("core input: on a new session the acknowledged filters are subscribed again even when together they exceed maxPacketSize", () => {
  const r = conn({ maxPacketSize: 24 });
  const f = ["aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc"]; // 1 + 1 + 2 + 15 = 19 bytes each, 49 together
  for (const x of f) r.c.subscribe(x, { qos: 1 });
  assert.equal(r.s().take().length, 3);
  r.s().data("9003000101" + "9003000201" + "9003000301");
  r.s().fire("close");
  r.clock.advance(10);
  const w = r.up(false);
  assert.equal(r.events, ["close", "offline", "reconnect", "connect"], "no error: " + r.events);
  assert.equal(filtersOf(w).sort(), f);
  assert.ok(w.every((h) => h.length / 2 <= 24), "each SUBSCRIBE within maxPacketSize: " + w.map((h) => h.length / 2));
});

test("core input: bad options throw BAD_OPTION at creation: keepalive 65536, -1, 1.5, '60', NaN; will topic, QoS or payload", () => {
  const bad: any[] = [
    { keepalive: 65536 },
    { keepalive: -1 },
    { keepalive: 1.5 },
    { keepalive: "60" },
    { keepalive: NaN },
    { will: { topic: "a/+", payload: "" } },
    { will: { topic: "#", payload: "" } },
    { will: { topic: "", payload: "" } },
    { will: { topic: 5, payload: "" } },
    { will: { topic: "w", payload: "", qos: 3 } },
    { will: { topic: "w", payload: "", qos: 1.5 } },
    { will: { topic: "w", payload: 5 } },
    { will: { topic: "w" } },
  ];
  for (const o of bad) assert.throws(() => rig(o), (e: any) => e.code == "BAD_OPTION", JSON.stringify(o));
  for (const k of [0, 1, 65535]) rig({ keepalive: k });
});

test("core input: a CONNECT over maxPacketSize is not sent: PACKET_TOO_LARGE", () => {
  let r: any;
  const x: any = uncaught(() => (r = rig({ maxPacketSize: 20, clientId: "a-rather-long-client-id" })));
  if (x) return assert.ok(x.code == "PACKET_TOO_LARGE" || x.code == "BAD_OPTION", "" + x);
  r.c.connect();
  const w = r.open();
  assert.ok(w.every((h: string) => h.length / 2 <= 20), "CONNECT of " + w.map((h: string) => h.length / 2) + " bytes");
  assert.equal(r.events.slice(0, 1), ["error:PACKET_TOO_LARGE"]);
});

// ---- broker errors ----

/** Feed `hex` to a connected client: the error code it reports, the connection dropped, then a reconnect. */
function brokerError(hex: string, opts: any = {}) {
  const r = conn(opts);
  r.s().data(hex);
  const ended = r.socks[0].ended;
  r.clock.advance(10);
  return { r, ended, events: r.events.slice(), redial: r.socks.length };
}

test("core input: CONNACK refused 1..5 -> CONNACK_REFUSED, no connect event, close, then the reconnect", () => {
  for (let rc = 1; rc <= 5; rc++) {
    const r = openRig({ reconnect: { min: 10, jitter: 0 } });
    r.s().data("200200" + "0" + rc);
    assert.equal(r.events, ["error:CONNACK_REFUSED", "close"], "code " + rc);
    assert.match(r.errors[0].message, String(rc));
    assert.is(r.c.connected, false);
    assert.is(r.s().ended, true);
    r.clock.advance(10);
    assert.is(r.socks.length, 2);
    r.up();
    assert.equal(r.events.slice(2), ["reconnect", "connect"]);
  }
});

test("core input: a packet before CONNACK, or a second CONNACK -> PROTOCOL", () => {
  for (const first of ["d000", pubHex("t", "31"), "40020001", "9003000100"]) {
    const r = openRig({ reconnect: { min: 10, jitter: 0 } });
    r.s().data(first + "20020000");
    assert.equal(r.events, ["error:PROTOCOL", "close"], first);
    assert.equal(r.msgs, []);
    assert.is(r.s().ended, true);
  }
  const x = brokerError("20020000");
  assert.equal(x.events, ["error:PROTOCOL", "close", "offline", "reconnect"]);
  assert.ok(x.ended);
  assert.is(x.redial, 2);
});

test("core input: reserved flag bits wrong -> MALFORMED [MQTT-2.2.2-2]", () => {
  for (const h of ["41020001", "60020001", "51020001", "63020001", "71020001", "9103000100", "b1020001", "d100", "d200"]) {
    const x = brokerError(h);
    assert.equal(x.events, ["error:MALFORMED", "close", "offline", "reconnect"], h);
    assert.ok(x.ended, h);
  }
  const r = openRig();
  r.s().data("21020000");
  assert.equal(r.events, ["error:MALFORMED", "close"]);
});

test("core input: acks of the wrong length -> MALFORMED; no callback runs", () => {
  for (const h of ["4003000100", "400100", "4000", "500300010a", "6203000100", "70030001ff", "b003000100", "b000"]) {
    const r = conn();
    let n = 0;
    r.c.publish("t", "", { qos: 1 }, () => n++);
    r.c.unsubscribe("u", () => n++);
    r.s().data(h);
    assert.equal(r.events, ["error:MALFORMED", "close", "offline"], h);
    assert.is(n, 0);
  }
  const r = openRig();
  r.s().data("2003000000");
  assert.equal(r.events, ["error:MALFORMED", "close"]);
});

test("core input: a PINGRESP with a body, a SUBACK without a packet id -> malformed, the connection dropped", () => {
  for (const h of ["d00100", "d0020000", "9000", "900100"]) {
    const r = conn();
    r.c.subscribe("s");
    r.s().data(h);
    assert.equal(r.events.slice(1), ["close", "offline"], h + ": " + r.events);
    assert.ok(["error:MALFORMED", "error:PROTOCOL"].includes(r.events[0]), h + ": " + r.events);
  }
});

test("core input: CONNACK acknowledge flags with reserved bits 7-1 set (3.2.2.1: MUST be 0) -> not connected, dropped", () => {
  for (const h of ["20020200", "20028000", "20020300"]) {
    const r = openRig();
    r.s().data(h);
    assert.is(r.c.connected, false, h);
    assert.ok(["error:MALFORMED", "error:PROTOCOL"].includes(r.events[0]), h + ": " + r.events);
    assert.is(r.s().ended, true);
  }
});

test("core input: a remaining length with a 5th byte -> PACKET_TOO_LARGE, never waits for it", () => {
  for (const len of ["8080808001", "ffffffff7f", "8080808080"]) {
    const x = brokerError("30" + len);
    assert.equal(x.events, ["error:PACKET_TOO_LARGE", "close", "offline", "reconnect"], len);
    assert.ok(x.ended);
  }
  // 4 bytes is the most, and fine while incomplete
  const r = conn();
  r.s().data("30ffffff");
  assert.equal(r.events, []);
  assert.is(r.s().ended, false);
});

test("core input: a packet over maxPacketSize (header included) -> PACKET_TOO_LARGE from its header alone", () => {
  const ok = conn({ maxPacketSize: 20 });
  ok.s().data(pubHex("t", "78".repeat(15))); // 2 + 3 + 15 = 20 bytes
  assert.equal(ok.msgs.length, 1);
  assert.equal(ok.events, []);
  for (const n of [16, 17, 18, 100, 300]) {
    const x = brokerError(pubHex("t", "78".repeat(n)).slice(0, 8), { maxPacketSize: 20 }); // header only
    assert.equal(x.events, ["error:PACKET_TOO_LARGE", "close", "offline", "reconnect"], "payload " + n);
  }
});

test("core input: bad incoming PUBLISH -> PROTOCOL, not delivered: QoS 3, id 0, wildcard/empty/NUL topic, topic past the end", () => {
  const bad = [
    "3607" + "000174" + "0001" + "6869", // QoS 3 [MQTT-3.3.1-4]
    "3205" + "000174" + "0000", // QoS 1, id 0 [MQTT-2.3.1-1]
    "3405" + "000174" + "0000", // QoS 2, id 0
    pubHex("a/+", "31"),
    pubHex("#", "31"),
    pubHex("a\0", "31"),
    "3003" + "0000" + "31", // empty topic
    "3003" + "0005" + "61", // topic longer than the packet
    "3203" + "000174", // QoS 1 without its id
    "3204" + "00017400", // QoS 1, half an id
  ];
  for (const h of bad) {
    const x = brokerError(h);
    assert.equal(x.events, ["error:PROTOCOL", "close", "offline", "reconnect"], h);
    assert.equal(x.r.msgs, [], h);
    assert.equal(x.r.socks[0].take(), [], h + ": no ack");
  }
});

test("core input: a topic that is not UTF-8 -> PROTOCOL [MQTT-1.5.3-1]", () => {
  for (const t of ["c3", "c0af", "e080af", "eda080", "edbfbf", "f4908080", "f8888080", "ff", "80", "61c3"]) {
    const body = ("000" + (t.length / 2).toString(16)).slice(-4) + t + "31";
    const x = brokerError("30" + vbi(body.length / 2) + body);
    assert.equal(x.events, ["error:PROTOCOL", "close", "offline", "reconnect"], t);
    assert.equal(x.r.msgs, []);
  }
});

test("core input: a SUBACK with fewer (or more) codes than filters -> PROTOCOL, no callback", () => {
  for (const h of ["9003000100", "90050001000000"]) {
    const r = conn();
    let n = 0;
    r.c.subscribe(["a", "b"], () => n++);
    r.s().data(h);
    assert.equal(r.events, ["error:PROTOCOL", "close", "offline"], h);
    assert.is(n, 0);
  }
});

test("core input: packet types a client never receives -> PROTOCOL", () => {
  for (const h of ["0000", "1000", "8000", "a000", "c000", "e000", "f000"]) {
    const x = brokerError(h);
    assert.equal(x.events, ["error:PROTOCOL", "close", "offline", "reconnect"], h);
  }
});

test("core input: after a bad packet the rest of its chunk is ignored; the old socket's later data too", () => {
  const r = conn();
  r.s().data("41020001" + pubHex("t", "31", 1, 1));
  r.socks[0].data(pubHex("t", "32"));
  assert.equal(r.msgs, []);
  assert.equal(r.socks[0].take(), []);
  assert.equal(r.events, ["error:MALFORMED", "close", "offline"]);
});

test("core input: the broker closes the socket -> close, offline, reconnect; an error with a message -> NET first", () => {
  const r = conn();
  r.s().fire("close");
  assert.equal(r.events, ["close", "offline"]);
  r.clock.advance(10);
  assert.equal(r.events, ["close", "offline", "reconnect"]);
  r.up();
  r.s().fire("error", { message: "ECONNRESET" });
  r.s().fire("close");
  assert.equal(r.events.slice(4), ["error:NET", "close", "offline"]);
  assert.match(r.errors[0].message, /ECONNRESET/);
  // a dial that throws: NET, close, the backoff
  r.failDial(new Error("no sockets"));
  r.clock.advance(20);
  // (whether 'reconnect' comes before or after the dial's own error is not pinned)
  assert.equal(r.events.slice(7).sort(), ["close", "error:NET", "reconnect"]);
  r.failDial(null);
  r.clock.advance(40);
  r.up();
  assert.equal(r.events.slice(10), ["reconnect", "connect"]);
});

// ---- listeners and callbacks that throw or end() ----

for (const ev of ["error", "close", "offline"]) {
  test(`core robust: an '${ev}' listener that throws on every drop cannot stop the reconnects`, () => {
    const r = conn();
    r.c.on(ev, () => {
      throw new Error("listener");
    });
    for (let i = 0; i < 3; i++) {
      const n = r.socks.length;
      uncaught(() => r.s().fire("error", { message: "reset" }));
      uncaught(() => r.clock.advance(1000));
      assert.is(r.socks.length, n + 1, "drop " + i);
      r.up();
    }
    assert.is(r.c.connected, true);
  });
}

test("core robust: a 'reconnect' listener that throws on every attempt cannot stop the reconnects (the socket is dialled)", () => {
  const thrower = (o: any) => {
    const r = conn(o);
    r.c.on("reconnect", () => {
      throw new Error("listener");
    });
    r.s().fire("close");
    return r;
  };
  // over five minutes: some socket dialled at all
  const a = thrower({ reconnect: { min: 100, max: 1000, jitter: 0 } });
  for (let i = 0; i < 300; i++) uncaught(() => a.clock.advance(1000));
  assert.ok(a.socks.length > 1, "no socket dialled in 5 minutes (" + a.events.filter((e) => e == "reconnect").length + " attempts)");
  // and in the attempt itself, not after a CONNECT_TIMEOUT
  const b = thrower({ reconnect: { min: 100, jitter: 0 } });
  const e = uncaught(() => b.clock.advance(100));
  assert.match(String(e), /listener/);
  assert.is(b.socks.length, 2, "dialled in the same attempt");
  b.up();
  assert.is(b.c.connected, true);
  assert.equal(b.events.filter((x) => x.startsWith("error")), []);
});

test("core robust: end() inside a 'reconnect' listener stops the client: no socket left, no timer", () => {
  const r = conn({ reconnect: { min: 100 } }, 1);
  r.c.on("reconnect", () => r.c.end());
  r.s().fire("close");
  r.clock.advance(100);
  r.clock.advance(1e7);
  assert.ok(r.socks.slice(1).every((s) => s.ended), "a dialled socket is ended");
  assert.ok(r.events.includes("reconnect"));
  assert.equal(r.events.slice(-1), ["end"]);
  assert.equal(r.events.filter((e) => e == "connect"), []);
  assert.is(r.timers(), 0);
  assert.is(r.c.connected, false);
});

test("core robust: an 'error' listener that calls end() stops the reconnect", () => {
  const r = conn();
  r.c.on("error", () => r.c.end());
  r.s().data("41020001");
  r.clock.advance(1e7);
  assert.is(r.socks.length, 1);
  assert.is(r.timers(), 0);
  assert.ok(r.events.includes("end"));
  assert.ok(!r.events.includes("reconnect"));
});

test("core robust: a 'connect' listener that throws: later packets of the chunk handled, keepalive and ping timeout still run", () => {
  const r = rig({ keepalive: 10 });
  r.c.on("connect", () => {
    throw new Error("listener");
  });
  r.c.connect();
  r.open();
  const e = uncaught(() => r.s().data("20020000" + pubHex("t", "31", 1, 4)));
  assert.match(String(e), /listener/);
  assert.equal(r.msgs, ["t=31"]);
  assert.equal(r.s().take(), ["40020004"]);
  r.clock.advance(10000);
  assert.equal(r.s().take(), ["c000"]);
  r.clock.advance(10000);
  assert.ok(r.events.includes("error:PING_TIMEOUT"));
  assert.is(r.s().ended, true);
});

test("core robust: end() inside a 'connect' listener: the rest of the chunk ignored, no keepalive timer, no reconnect", () => {
  const r = rig({ keepalive: 1 });
  r.c.on("connect", () => r.c.end());
  r.c.connect();
  r.open();
  r.s().data("20020000" + pubHex("t", "31", 1, 1));
  assert.equal(r.msgs, []);
  assert.equal(r.s().take(), ["e000"]);
  assert.is(r.timers(), 0);
  r.clock.advance(1e7);
  assert.is(r.socks.length, 1);
  assert.equal(r.events, ["connect", "close", "end"]);
});

test("core robust: a 'message' listener that throws: every message of the chunk delivered and acked once, the error rethrown after", () => {
  const r = conn();
  let n = 0;
  r.c.on("message", () => {
    if (n++ < 2) throw new Error("listener " + n);
  });
  const e = uncaught(() => r.s().data(pubHex("t", "31", 1, 1) + pubHex("t", "32", 2, 2) + pubHex("t", "33")));
  assert.match(String(e), /listener 1/);
  assert.equal(r.msgs, ["t=31", "t=32", "t=33"]);
  assert.is(n, 3);
  assert.equal(r.s().take(), ["40020001", "50020002"]);
  // the QoS 2 message is not delivered again
  r.s().data(pubHex("t", "32", 2, 2, 8));
  assert.is(n, 3);
  assert.is(r.c.connected, true);
});

test("core robust: end() inside a 'message' listener ends the chunk: no later message, no ack for it, no reconnect", () => {
  const r = conn();
  r.c.on("message", () => r.c.end());
  r.s().data(pubHex("t", "31", 1, 1) + pubHex("t", "32", 1, 2) + "40020009");
  assert.is(r.msgs.length, 1);
  assert.equal(r.s().take(), ["40020001", "e000"]);
  r.clock.advance(1e7);
  assert.is(r.socks.length, 1);
  assert.equal(r.events, ["close", "end"]);
});

test("core robust: a route handler that throws does not stop later routes, later messages of the chunk or their routes", () => {
  const r = conn();
  const hit: string[] = [];
  r.c.route("t", (t: string, p: string) => {
    hit.push("a" + p);
    if (p == "1") throw new Error("route");
  });
  r.c.route("#", (t: string, p: string) => hit.push("b" + p));
  const e = uncaught(() => r.s().data(pubHex("t", "31") + pubHex("t", "32")));
  assert.match(String(e), /route/);
  // (and the routes after the one that threw still get that message)
  assert.equal(hit, ["a1", "b1", "a2", "b2"]);
  assert.equal(r.msgs, ["t=31", "t=32"]);
});

test("core robust: a PUBACK callback that throws: the queue still flushes into the window, later acks handled", () => {
  const r = conn({ inflightWindow: 1 });
  const log: string[] = [];
  r.c.publish("a", "", { qos: 1 }, () => {
    log.push("a");
    throw new Error("cb");
  });
  r.c.publish("b", "", { qos: 1 }, () => log.push("b"));
  r.c.publish("c", "", () => log.push("c"));
  assert.equal(r.s().take(), ["3205000161" + "0001"]);
  const e = uncaught(() => r.s().data("40020001" + "40020002"));
  assert.match(String(e), /cb/);
  assert.equal(r.s().take(), ["3205000162" + "0002", "3003000163"]);
  // (c, QoS 0, needs no room in the window: it goes right behind b)
  assert.equal(log, ["a", "c", "b"]);
});

test("core robust: a queued publish's callback that throws on connect: the rest of the queue goes and 'connect' is emitted", () => {
  const r = rig();
  const log: string[] = [];
  r.c.publish("a", "", () => {
    log.push("a");
    throw new Error("cb");
  });
  r.c.publish("b", "", () => log.push("b"));
  r.c.on("connect", () => log.push("connect"));
  r.c.connect();
  r.open();
  const e = uncaught(() => r.s().data("20020000"));
  assert.match(String(e), /cb/);
  assert.equal(r.s().take(), ["3003000161", "3003000162"]);
  assert.equal(log, ["a", "b", "connect"]);
  assert.is(r.timers(), 1);
  // not sent again on the next connection
  r.s().fire("close");
  r.clock.advance(500);
  assert.is(r.socks.length, 2);
  assert.equal(r.up(), []);
});

test("core robust: end() inside a PUBACK callback: later packets of the chunk ignored, the rest fails with ENDED once", () => {
  const r = conn();
  const log: string[] = [];
  r.c.publish("a", "", { qos: 1 }, () => (log.push("a"), r.c.end()));
  r.c.publish("b", "", { qos: 1 }, (e: any) => log.push("b:" + (e && e.code)));
  r.s().take();
  r.s().data("40020001" + "40020002" + pubHex("t", "31"));
  assert.equal(log, ["a", "b:ENDED"]);
  assert.equal(r.msgs, []);
  assert.is(r.timers(), 0);
  assert.equal(r.events, ["close", "end"]);
});

test("core robust: end() inside an 'offline' listener then connect(): a fresh start with the 30 s connect timeout", () => {
  const r = conn({ reconnect: { min: 1000 } });
  let once = 0;
  r.c.on("offline", () => {
    if (!once++) r.c.end(), r.c.connect();
  });
  r.s().fire("close");
  assert.is(r.socks.length, 2);
  r.s().onOpen();
  r.clock.advance(29999);
  assert.equal(r.events, ["close", "offline", "end"]);
  assert.ok(!r.events.includes("error:CONNECT_TIMEOUT"));
  r.clock.advance(1);
  assert.equal(r.events.slice(-2), ["error:CONNECT_TIMEOUT", "close"]);
});

test.run();
