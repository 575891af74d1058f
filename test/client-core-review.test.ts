/**
 * Adversarial review of the core profile's client (src/core): each test pins
 * one defect found in review (it fails until the defect is fixed) and asserts
 * the behaviour the MQTT 3.1.1 spec or the class client (src/client) gives.
 *
 * Espruino runs some JavaScript differently from Node: for-in hands out a
 * numeric-looking property name ("123", an array index) as a NUMBER
 * (src/jsparse.c jspeStatementFor -> jsvCopyNameOnly turns an int name into
 * JSV_INTEGER; every `o[k]` access stores such a key as an int name through
 * jsvAsArrayIndex). test/support/espruino-keys.ts builds the client with every
 * for-in rewritten to do the same, so that difference can be tested in Node.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { untilDial, coreRig as rig, connRig as conn, pubHex, CONNACK, bounce } from "./support/core-rig";
import { espruinoHost } from "./support/tiny-rig";
import { installEmitter } from "../src/client/emitter";
import { buildWithEspruinoKeys } from "./support/espruino-keys";

// ---- Espruino's for-in, emulated (./support/espruino-keys) ----

/** A core client built with Espruino's for-in on the core rig's host (Espruino-like sockets and timers). */
async function espruinoRig(opts: any = {}) {
  // (the client has two for-in loops: subscribe's filters, and the resubscription of `subs`: 4 edits)
  const { coreClient } = await buildWithEspruinoKeys("core/client.ts", 4);
  const h = espruinoHost(0.5);
  const c: any = coreClient(Object.assign({ host: "h", port: 1883, clientId: "c", reconnect: { min: 10, jitter: 0 } }, opts), h.dial, h.now, h.setTimer, h.clearTimer, h.random);
  installEmitter(c);
  const errors: string[] = [];
  c.on("error", (e: any) => errors.push(e.code));
  const up = (connack = CONNACK) => {
    const s = h.s();
    s.onOpen();
    s.take();
    s.data(connack);
    return s.take();
  };
  return { c, h, errors, up };
}

test("review: (control) the for-in emulation leaves an ordinary filter's subscribe and resubscription intact", async () => {
  const r = await espruinoRig();
  r.c.connect();
  r.up();
  r.c.subscribe(["a", "b"], { qos: 1 });
  assert.equal(r.h.s().take(), ["820a0001" + "0001" + "61" + "01" + "0001" + "62" + "01"]);
  r.h.s().data("9004000101" + "01");
  r.h.s().fire("close");
  r.h.clock.advance(10);
  assert.equal(r.up(), ["820a0002" + "0001" + "61" + "01" + "0001" + "62" + "01"]);
  assert.equal(r.errors, []);
});

test("review: Espruino for-in: a numeric-looking filter ('123') is resubscribed with its own length, not as a zero-length filter", async () => {
  const r = await espruinoRig();
  r.c.connect();
  r.up();
  r.c.subscribe("123", { qos: 1 });
  assert.equal(r.h.s().take(), ["82080001" + "0003313233" + "01"]);
  r.h.s().data("9003000101");
  // a new session: the acknowledged filter goes again. On Espruino `for (f in subs)`
  // gives the number 123; str(123) -> toUtf8 returns the number itself, whose
  // .length is undefined: u16(undefined) = "\0\0" -> a zero-length filter, then "123"
  // as if it were the QoS byte: the broker closes, on every reconnect.
  r.h.s().fire("close");
  r.h.clock.advance(10);
  assert.equal(r.up(), ["82080002" + "0003313233" + "01"]);
});

test("review: Espruino for-in: subscribe({'123': 1}) subscribes filter '123' (not BAD_FILTER for a number key)", async () => {
  const r = await espruinoRig();
  r.c.connect();
  r.up();
  const res: any[] = [];
  r.c.subscribe({ "123": 1 }, (err: any) => res.push(err && err.code));
  assert.equal(res, []);
  assert.equal(r.h.s().take(), ["82080001" + "0003313233" + "01"]);
});

// ---- re-entrancy: routes ----

test("review: a route handler that unsubscribes its own filter does not rob the next matching route of the message", () => {
  const r = conn();
  const got: string[] = [];
  // a common one-shot pattern: wait for one (retained) message, then unsubscribe
  r.c.route("cfg", () => {
    got.push("once");
    r.c.unsubscribe("cfg");
  });
  r.c.route("+", () => got.push("all"));
  r.s().data(pubHex("cfg", "31"));
  // unsubscribe() splices `routes` while received() walks it by index: the "+"
  // route moves to index 0 and the loop (at i = 2) ends without calling it
  assert.equal(got, ["once", "all"]);
  r.s().data(pubHex("cfg", "32"));
  assert.equal(got, ["once", "all", "all"]);
});

// ---- ordering [MQTT-4.6.0] ----

test("review: PUBRELs are resent in the order their PUBRECs came [MQTT-4.6.0-4], not in PUBLISH order", () => {
  const r = conn({ clean: false });
  r.c.publish("a", "1", { qos: 2 }); // id 1
  r.c.publish("b", "2", { qos: 2 }); // id 2
  r.s().take();
  r.s().data("50020002"); // PUBREC 2 first
  r.s().data("50020001");
  assert.equal(r.s().take(), ["62020002", "62020001"]);
  // the connection drops before either PUBCOMP: the PUBRELs go again, 2 then 1
  assert.equal(bounce(r, true), ["62020002", "62020001"]);
});

// ---- timers ----

test("review: ackTimeout with the clock set back (keepalive 0): the ack still times out within about ackTimeout, not an hour later", () => {
  const r = conn({ keepalive: 0, ackTimeout: 5000 });
  r.c.publish("t", "1", { qos: 1 });
  r.s().take();
  r.clock.advance(1000);
  // the wall clock (Date.now on a board) is set back an hour, e.g. by an SNTP sync
  r.skew(-3600e3);
  // by twice the ackTimeout after the send (timer time), no PUBACK: the link is declared dead
  r.clock.advance(9000);
  // the keepalive path treats a send "in the future" as a set-back clock (ping now);
  // the ack timeout waits for the new clock to reach the old deadline: 1 h + 5 s
  assert.equal(r.events.slice(0, 3), ["error:ACK_TIMEOUT", "close", "offline"]);
});

test("review: keepalive 0: the backoff starts again from its minimum after a long healthy connection", () => {
  const r = rig({ keepalive: 0, reconnect: { min: 10, factor: 2, max: 600000, jitter: 0 } });
  r.c.connect();
  r.up();
  // five short outages, each followed by a good connection
  for (let i = 0; i < 5; i++) {
    r.s().fire("close");
    untilDial(r);
    r.up();
  }
  // then a day connected without trouble
  r.clock.advance(86400e3);
  r.s().fire("close");
  // with keepalive 0 no timer runs while connected, and only a keepalive check resets
  // `attempt`: this first retry of a new outage waits 10 x 2^5 = 320 ms, and every
  // later outage of the device's life starts further up the curve
  assert.is(untilDial(r), 10);
});

// ---- caller errors that reach the wire ----

test("review: a will payload over 65535 bytes is refused at creation, not sent with a wrapped two-byte length", () => {
  let err: any;
  let r: any;
  try {
    r = rig({ will: { topic: "w", payload: "x".repeat(65536) } });
  } catch (e) {
    err = e;
  }
  if (!err) {
    // what it sends instead: the length field u16(65536) = F(256, 0)
    r.c.connect();
    const connect = r.open()[0] as string;
    const w = connect.indexOf("000177") + 6;
    assert.unreachable("CONNECT sent with the will payload's length field " + connect.slice(w, w + 4) + " before 65536 payload bytes");
  }
  assert.ok(err.code, "a wren error with a code");
});

test("review: a client id or username with U+0000 is refused at creation (BAD_STRING) [MQTT-1.5.3-2]; a password may hold it", () => {
  // a server MUST close the connection on a string with U+0000 [MQTT-1.5.3-2]: sent,
  // it would be a CONNECT refused on every reconnect, forever
  assert.throws(() => rig({ clientId: "a\0b" }), (e: any) => e.code == "BAD_STRING");
  assert.throws(() => rig({ username: "u\0" }), (e: any) => e.code == "BAD_STRING");
  // (3.1.1 passwords are binary data [MQTT-3.1.3.5])
  rig({ username: "u", password: "p\0" });
});

test("review: a 'message' listener or route handler that throws stops none of the later routes for that message (the first error rethrown)", () => {
  const r = conn();
  const got: string[] = [];
  r.c.on("message", () => {
    got.push("event");
    throw new Error("first");
  });
  r.c.route("a/+", () => {
    got.push("a/+");
    throw new Error("second");
  });
  r.c.route("#", () => got.push("#"));
  let e: any;
  try {
    r.s().data(pubHex("a/b", "31", 1, 7));
  } catch (x) {
    e = x;
  }
  assert.is(e && e.message, "first");
  assert.equal(got, ["event", "a/+", "#"]);
  assert.equal(r.s().take(), ["40020007"]); // acked before delivery
});

test("review: unsubscribe(filters, options, cb) as the class client takes it: cb runs once at UNSUBACK (not dropped, no TypeError out of the data path)", () => {
  // (the class client's and MQTT.js's signature; before: the options object was taken
  // for the callback, the real one never ran and the UNSUBACK threw "e.cb is not a function")
  const r = conn();
  const got: any[] = [];
  r.c.unsubscribe("a/b", {}, (e: any) => got.push(e ? e.code : "ok"));
  r.c.unsubscribe(["c", "d"], undefined, (e: any) => got.push(e ? e.code : "ok"));
  r.c.unsubscribe("#/x", {}, (e: any) => got.push(e ? e.code : "ok"));
  assert.equal(got, ["BAD_FILTER"]);
  assert.equal(r.s().take(), ["a2070001" + "0003612f62", "a2080002" + "000163" + "000164"]);
  let x: any;
  try {
    r.s().data("b0020001" + "b0020002");
  } catch (y) {
    x = y;
  }
  assert.is(x, undefined);
  assert.equal(got, ["BAD_FILTER", "ok", "ok"]);
  assert.equal(r.events, []);
  // the two-argument form is unchanged
  r.c.unsubscribe("e", (e: any) => got.push(e ? e.code : "ok"));
  r.s().data("b0020003");
  assert.equal(got, ["BAD_FILTER", "ok", "ok", "ok"]);
});

test.run();
