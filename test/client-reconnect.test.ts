/** Connection lifecycle on a virtual clock: backoff, keepalive, timeouts, refusals, end(), link. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Client } from "../src/client/index";
import { bytes, setup, take, vlink, CONNACK } from "./support/virtual";

test("backoff: dial times follow min*factor^n with full jitter and a cap (fixed random)", () => {
  // random 0.5, full jitter: delay = cap/2
  const { hal, client, events } = setup({ reconnect: { min: 1000, max: 8000, factor: 2 } }, false, 0.5);
  client.connect();
  const gaps: number[] = [];
  for (let i = 0; i < 7; i++) {
    const n = hal.conns.length, t = hal.clock.now();
    hal.c().h.onClose(new Error("ECONNREFUSED")); // connect failed
    while (hal.conns.length == n) hal.clock.advance(1);
    gaps.push(hal.clock.now() - t);
  }
  // cap/2: 500, 1000, 2000, 4000, then the cap 8000/2
  assert.equal(gaps, [500, 1000, 2000, 4000, 4000, 4000, 4000]);
  assert.is(hal.conns.length, 8);
  assert.equal(events.filter((e) => e == "reconnect").length, 7);
  assert.is(events.filter((e) => e == "error:undefined").length, 7); // transport errors pass through as is
  // accepted and closed at once (a broker that kicks it: duplicate client id): still the cap, no storm
  hal.c().h.onOpen();
  hal.c().h.onData(bytes(CONNACK));
  let t0 = hal.clock.now();
  hal.c().h.onClose();
  hal.clock.advance(3999);
  assert.is(hal.conns.length, 8);
  hal.clock.advance(1);
  assert.is(hal.conns.length, 9);
  // a connection that outlived a keepalive check (the PINGREQ at 60 s) resets the backoff
  hal.c().h.onOpen();
  hal.c().h.onData(bytes(CONNACK));
  hal.clock.advance(60000);
  t0 = hal.clock.now();
  hal.c().h.onClose();
  hal.clock.advance(499);
  assert.is(hal.conns.length, 9);
  hal.clock.advance(1);
  assert.is(hal.conns.length, 10);
  assert.is(hal.clock.now() - t0, 500);
});

test("backoff: jitter spreads the delay with the random source", () => {
  const { hal, client } = setup({ reconnect: { min: 1000, max: 8000 } }, false, 0.9);
  client.connect();
  hal.c().h.onClose();
  hal.clock.advance(99);
  assert.is(hal.conns.length, 1);
  hal.clock.advance(1); // 1000 * (1 - 0.9) = 100
  assert.is(hal.conns.length, 2);
});

test("keepalive: PINGREQ exactly `keepalive` s after the last packet sent [MQTT-3.1.2-23]", () => {
  const { hal, client } = setup({ keepalive: 10 });
  const c = hal.c();
  hal.clock.advance(9999);
  assert.equal(take(c), []);
  hal.clock.advance(1);
  assert.equal(take(c), ["c000"]);
  c.h.onData(bytes("d000"));
  hal.clock.advance(3000); // t = 13000
  client.publish("t", ""); // sending postpones the next ping
  take(c);
  hal.clock.advance(9999);
  assert.equal(take(c), []);
  c.h.onData(bytes("30030001 74")); // receiving does not
  hal.clock.advance(1);
  assert.equal(take(c), ["c000"]);
  assert.is(hal.clock.now(), 23000);
  c.h.onData(bytes("d000"));
  hal.clock.advance(10000);
  assert.equal(take(c), ["c000"]);
  assert.is(hal.clock.pending(), 1); // one timer, always
});

test("keepalive 0: no PINGREQ ever", () => {
  const { hal } = setup({ keepalive: 0 });
  hal.clock.advance(1e7);
  assert.equal(take(hal.c()), []);
  assert.is(hal.clock.pending(), 0);
});

test("ping timeout: no PINGRESP -> PING_TIMEOUT, destroy, reconnect", () => {
  const { hal, events } = setup({ keepalive: 10, pingTimeout: 2000, reconnect: { min: 1000, jitter: 0 } });
  const c = hal.c();
  hal.clock.advance(10000);
  assert.equal(take(c), ["c000"]);
  hal.clock.advance(1999);
  assert.is(c.destroyed, false);
  hal.clock.advance(1);
  assert.is(c.destroyed, true);
  assert.equal(events, ["error:PING_TIMEOUT", "close", "offline"]);
  c.h.onClose(); // the late close of the destroyed connection is ignored
  assert.equal(events.length, 3);
  hal.clock.advance(1000);
  assert.is(hal.conns.length, 2);
  assert.equal(events.slice(3), ["reconnect"]);
});

test("ping timeout defaults to the keepalive interval; any packet counts as an answer", () => {
  const { hal } = setup({ keepalive: 5 });
  const c = hal.c();
  hal.clock.advance(5000);
  assert.equal(take(c), ["c000"]);
  c.h.onData(bytes("30030001 74")); // a PUBLISH instead of PINGRESP: alive
  hal.clock.advance(5000);
  assert.equal(take(c), ["c000"]);
  assert.is(c.destroyed, false);
  hal.clock.advance(4999);
  assert.is(c.destroyed, false);
  hal.clock.advance(1);
  assert.is(c.destroyed, true);
});

test("CONNACK refused 1..5: CONNACK_REFUSED with the reason, then reconnect", () => {
  const names = ["unacceptable protocol version", "identifier rejected", "server unavailable", "bad username or password", "not authorized"];
  for (let rc = 1; rc <= 5; rc++) {
    const { hal, client, errors, events } = setup({ reconnect: { min: 100, jitter: 0 } }, false);
    client.connect();
    hal.c().h.onOpen();
    hal.c().h.onData(bytes("2002000" + rc));
    assert.is(errors[0].code, "CONNACK_REFUSED");
    assert.is(errors[0].message, "CONNACK_REFUSED: " + names[rc - 1]);
    assert.is(hal.c().destroyed, true);
    assert.is(client.connected, false);
    assert.equal(events, ["error:CONNACK_REFUSED", "close"]);
    hal.clock.advance(100);
    assert.is(hal.conns.length, 2);
  }
});

test("connect timeout: no CONNACK (or no open) within connectTimeout -> CONNECT_TIMEOUT, reconnect", () => {
  const { hal, client, events } = setup({ connectTimeout: 5000, reconnect: { min: 1000, jitter: 0 } }, false);
  client.connect();
  hal.clock.advance(4999);
  assert.is(hal.c().destroyed, false);
  hal.clock.advance(1); // transport never opened
  assert.is(hal.conns[0].destroyed, true);
  assert.equal(events, ["error:CONNECT_TIMEOUT", "close"]);
  hal.clock.advance(1000);
  assert.is(hal.conns.length, 2);
  hal.c().h.onOpen(); // opened, CONNECT sent, no CONNACK
  hal.clock.advance(4999);
  assert.is(hal.conns[1].destroyed, false);
  hal.clock.advance(1);
  assert.is(hal.conns[1].destroyed, true);
  assert.equal(events.slice(2), ["reconnect", "error:CONNECT_TIMEOUT", "close"]);
});

test("end(): DISCONNECT, close, no reconnect; callbacks of pending work get ENDED", () => {
  const { hal, client, events } = setup();
  const c = hal.c();
  const log: string[] = [];
  client.publish("t", "a", { qos: 1 }, (e: any) => log.push("a:" + e.code));
  client.subscribe("s", (e: any) => log.push("s:" + e.code));
  take(c);
  let ended = false;
  client.end(() => (ended = true));
  assert.equal(take(c), ["e000"]);
  assert.is(c.ended, true);
  assert.is(ended, true);
  assert.equal(log, ["a:ENDED", "s:ENDED"]);
  assert.equal(events, ["close", "end"]);
  c.h.onClose();
  hal.clock.advance(1e7);
  assert.is(hal.conns.length, 1);
  assert.is(hal.clock.pending(), 0);
  assert.equal(events, ["close", "end"]);
});

test("end() while waiting to reconnect stops the reconnect; end(true) destroys", () => {
  const { hal, client, events } = setup({ reconnect: { min: 1000, jitter: 0 } });
  hal.c().h.onClose();
  assert.is(hal.clock.pending(), 1);
  client.end();
  assert.is(hal.clock.pending(), 0);
  hal.clock.advance(1e6);
  assert.is(hal.conns.length, 1);
  assert.equal(events, ["close", "offline", "end"]);
  client.connect(); // start again
  assert.is(hal.conns.length, 2);
  hal.c().h.onOpen();
  hal.c().h.onData(bytes(CONNACK));
  take(hal.c());
  client.end(true);
  assert.equal(take(hal.c()), []);
  assert.is(hal.c().destroyed, true);
});

test("end() inside a close listener stops the reconnect", () => {
  const { hal, client } = setup();
  client.on("close", () => client.end());
  hal.c().h.onClose();
  hal.clock.advance(1e6);
  assert.is(hal.conns.length, 1);
  assert.is(hal.clock.pending(), 0);
});

test("reconnect: false -> no automatic reconnect", () => {
  const { hal } = setup({ reconnect: false });
  hal.c().h.onClose();
  hal.clock.advance(1e6);
  assert.is(hal.conns.length, 1);
});

test("link down pauses dialing, link up redials at once", () => {
  const { hal, client, events } = setup({ reconnect: { min: 5000, jitter: 0 } }, false);
  const link = vlink(false);
  hal.link = link;
  client.connect();
  assert.is(hal.conns.length, 0);
  hal.clock.advance(1e6);
  assert.is(hal.conns.length, 0);
  link.set(true);
  assert.is(hal.conns.length, 1);
  hal.c().h.onOpen();
  hal.c().h.onData(bytes(CONNACK));
  // link down: the connection is dropped at once (Espruino may never fire its close)
  link.set(false);
  assert.is(hal.c().destroyed, true);
  hal.c().h.onClose(new Error("gone")); // a late close of the dropped connection is ignored
  hal.clock.advance(1e6);
  assert.is(hal.conns.length, 1);
  link.set(true);
  assert.is(hal.conns.length, 2);
  assert.equal(events, ["reconnect", "connect", "error:LINK_DOWN", "close", "offline", "reconnect"]);
  // link up while a reconnect wait is running: dial now, not later
  hal.c().h.onClose();
  assert.is(hal.clock.pending(), 1);
  link.set(true);
  assert.is(hal.conns.length, 3);
  hal.clock.advance(1e6); // the connect timeout of conn 3 fires; nothing dials twice
  assert.ok(hal.conns.length >= 3);
});

test("never two connections at once", () => {
  const { hal, client } = setup({ reconnect: { min: 0, jitter: 0 } }, false);
  client.connect();
  client.connect();
  assert.is(hal.conns.length, 1);
  hal.c().h.onClose();
  hal.clock.advance(0);
  assert.is(hal.conns.length, 2);
  // a stale connection's events are ignored
  hal.conns[0].h.onOpen();
  hal.conns[0].h.onClose();
  assert.equal(hal.conns[0].out, []);
  hal.clock.advance(0);
  assert.is(hal.conns.length, 2);
  assert.ok(client instanceof Client);
});

test("one timer: ack timeout, keepalive and connect deadlines share it", () => {
  const { hal, client, events } = setup({ keepalive: 60, ackTimeout: 3000, reconnect: { min: 1000, jitter: 0 } });
  client.publish("t", "a", { qos: 1 });
  assert.is(hal.clock.pending(), 1);
  hal.clock.advance(2999);
  assert.is(hal.c().destroyed, false);
  hal.clock.advance(1);
  assert.is(hal.c().destroyed, true);
  assert.equal(events, ["error:ACK_TIMEOUT", "close", "offline"]);
  assert.is(hal.clock.pending(), 1);
});

test.run();
