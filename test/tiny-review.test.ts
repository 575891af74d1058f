/**
 * Adversarial review of the tiny client (src/tiny): state-machine edges the
 * main unit tests (client-tiny.test.ts) leave out, on the same virtual clock
 * and scripted sockets. Every test pins behaviour that holds today and would
 * catch a regression: timers (at most one pending, none after end()), sockets
 * that fire events after end(), packets of every other type, backoff after
 * thousands of attempts, the PINGREQ wait across a PING_TIMEOUT reconnect.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tinyRig as rig, FakeSocket, CONNACK, espruinoHost } from "./support/tiny-rig";
import { tinyClient } from "../src/tiny/client";
import { installEmitter } from "../src/client/emitter";


test("tiny review: at most one pending timer on every path, none after end()", () => {
  const r = rig({ keepalive: 5, reconnect: { min: 100 } }, 1);
  const seen: number[] = [];
  const chk = () => seen.push(r.clock.pending());
  r.c.connect(); // connect timer
  chk();
  r.s().onOpen();
  chk();
  r.s().data("20020000"); // keepalive timer
  chk();
  r.clock.advance(5000); // PINGREQ, waiting for its answer
  chk();
  r.clock.advance(5000); // PING_TIMEOUT: backoff timer
  chk();
  r.clock.advance(100); // dialing again
  chk();
  r.c.connect(); // ignored: already dialing
  chk();
  r.c.end();
  chk();
  r.c.end(); // twice: nothing to clear (Espruino's clearTimeout would throw)
  chk();
  assert.equal(seen, [1, 1, 1, 1, 1, 1, 1, 0, 0]);
  assert.is(r.socks.length, 2);
  assert.equal(r.events, ["connect", "error:PING_TIMEOUT", "close", "offline", "reconnect", "close", "end", "end"]);
});

test("tiny review: end() while dialing; the old socket's late open, data and close do nothing", () => {
  const r = rig();
  r.c.connect();
  r.c.end();
  const s = r.s();
  assert.is(s.ended, true);
  s.onOpen(); // Espruino: the connect callback may still run from the idle loop
  s.data("20020000" + "3005000174" + "7879");
  s.fire("error", { message: "reset" });
  s.fire("close");
  r.clock.advance(1e7);
  assert.equal(s.take(), []); // no CONNECT on a socket given up
  assert.equal(r.msgs, []);
  assert.equal(r.events, ["close", "end"]);
  assert.is(r.clock.pending(), 0);
  assert.is(r.socks.length, 1);
});

test("tiny review: end() in a message listener stops the chunk; connect() afterwards starts clean, no 'reconnect'", () => {
  const r = rig();
  r.c.on("message", () => r.c.end());
  r.c.connect();
  r.up();
  r.s().data("3005000174" + "7879" + "3005000174" + "7a7a"); // two messages in one chunk
  assert.equal(r.msgs, ["t=7879"]);
  assert.equal(r.s().take(), ["e000"]);
  r.c.connect();
  r.socks[0].data("3005000174" + "7a7a"); // data the old socket still delivers is dropped
  assert.equal(r.msgs, ["t=7879"]);
  assert.is(r.socks.length, 2);
  r.s().onOpen();
  assert.equal(r.s().take(), ["100d00044d5154540402003c000163"]);
  assert.equal(r.events, ["connect", "close", "end"]);
});

test("tiny review: PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK, DISCONNECT, reserved types: ignored, framing kept", () => {
  const r = rig();
  r.c.connect();
  r.up();
  r.s().data("40020001" + "50020001" + "62020001" + "70020001" + "b0020001" + "e000" + "f000" + "0000" + "3005000174" + "7879");
  assert.equal(r.msgs, ["t=7879"]);
  assert.equal(r.s().take(), []); // nothing answered: QoS 0 only
  assert.equal(r.events, ["connect"]);
});

test("tiny review: backoff after 2,000 failed attempts stays at max (no overflow to 0, NaN or Infinity)", () => {
  const r = rig({ reconnect: { min: 1000, max: 7000 } }, 1);
  r.c.connect();
  let last = 0;
  for (let i = 0; i < 2000; i++) {
    const n = r.socks.length,
      t = r.clock.now();
    r.s().fire("close");
    r.clock.advance(7000);
    assert.is(r.socks.length, n + 1, "attempt " + i);
    last = r.clock.now() - t;
  }
  assert.is(last, 7000);
  assert.is(r.clock.pending(), 1); // the connect timer of the last dial
});

test("tiny review: after a PING_TIMEOUT the next connection pings exactly keepalive after its CONNACK", () => {
  const r = rig({ keepalive: 10, reconnect: { min: 100 } }, 1);
  r.c.connect();
  r.up();
  r.clock.advance(10000); // PINGREQ
  r.clock.advance(10000); // no answer
  r.clock.advance(100);
  assert.equal(r.events, ["connect", "error:PING_TIMEOUT", "close", "offline", "reconnect"]);
  r.up();
  r.clock.advance(9999);
  assert.equal(r.s().take(), []);
  r.clock.advance(1);
  assert.equal(r.s().take(), ["c000"]);
  r.s().data("d000");
  r.clock.advance(10000);
  assert.equal(r.s().take(), ["c000"]); // answered: pinging again, no timeout
  assert.equal(r.events.slice(5), ["connect"]);
});

test("tiny review: a refused CONNACK keeps growing the backoff (only a connection that outlives a keepalive check resets it)", () => {
  const r = rig({ reconnect: { min: 1000, max: 60000 } }, 1);
  r.c.connect();
  const gaps: number[] = [];
  for (let i = 0; i < 4; i++) {
    r.s().onOpen();
    r.s().data("20020005"); // not authorized
    const n = r.socks.length,
      t = r.clock.now();
    while (r.socks.length == n) r.clock.advance(1);
    gaps.push(r.clock.now() - t);
  }
  assert.equal(gaps, [1000, 2000, 4000, 8000]);
  assert.is(r.events.filter((e) => e == "offline").length, 0); // never up: no offline
});

test("tiny review: a remaining length cut inside its bytes waits for the rest (no false PACKET_TOO_LARGE)", () => {
  const r = rig();
  r.c.connect();
  r.up();
  const payload = "ab".repeat(16382); // 16,382 bytes: remaining length 16,385 = 81 80 01 (3 length bytes)
  r.s().data("30");
  r.s().data("81");
  r.s().data("80");
  assert.equal(r.events, ["connect"]);
  r.s().data("01" + "0001" + "74" + payload.slice(0, 1000));
  r.s().data(payload.slice(1000));
  assert.equal(r.msgs, ["t=" + payload]);
  assert.equal(r.events, ["connect"]);
});

/** A tiny client with keepalive 2 s on the Espruino host rig, connected at 0 ms. */
function connectedKa2() {
  const h = espruinoHost(0.5);
  const c: any = tinyClient({ host: "h", port: 1883, clientId: "c", keepalive: 2 }, h.dial, h.now, h.setTimer, h.clearTimer, h.random);
  installEmitter(c);
  c.connect();
  h.s().onOpen();
  h.s().take(); // CONNECT at 0
  h.s().data(CONNACK);
  return { h, c };
}

test("tiny: the wall clock set back by less than the keepalive while connected: the PINGREQ still comes keepalive ms after the last send, by the timers", () => {
  const { h, c } = connectedKa2();
  h.skew(-1100);
  h.clock.advance(2000);
  // (at 3,100 ms it would be past the broker's 1.5 keepalives [MQTT-3.1.2-24])
  assert.equal(h.s().take(), ["c000"]);
  h.s().data("d000"); // PINGRESP
  // and a send after it still postpones the next one, by the (set back) clock
  h.clock.advance(1000);
  c.publish("t", "");
  h.clock.advance(1999);
  assert.equal(h.s().take(), ["3003000174"]);
  h.clock.advance(1);
  assert.equal(h.s().take(), ["c000"]);
  assert.is(h.socks.length, 1);
});

test("tiny: the wall clock set back after a send while connected: the PINGREQ still comes within the keepalive of that send (model test, seeds 101 and 303)", () => {
  const { h, c } = connectedKa2();
  h.clock.advance(1);
  c.publish("t", ""); // the last send, at 1 ms
  h.skew(-1101);
  h.clock.advance(1999);
  assert.equal(h.s().take(), ["3003000174"]);
  // 2,000 ms after the send by the timers (the clock alone would say 899 ms): due now, not
  // 1,101 ms later, past the broker's 1.5 keepalives [MQTT-3.1.2-24]
  h.clock.advance(1);
  assert.equal(h.s().take(), ["c000"]);
  assert.is(h.socks.length, 1);
});

test.run();
