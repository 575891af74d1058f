/**
 * The core profile's client (src/core): timers on a virtual clock. Keepalive
 * from the last send (the CONNECT first) [MQTT-3.1.2-23], the ping, ack and
 * connect timeouts, the reconnect backoff (sequence, cap, jitter, reset only
 * after a keepalive check), reconnect:false, end() and connect() again. The
 * timers are Espruino-like: clearing one that is not pending throws.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { untilDial, coreRig as rig, pubHex } from "./support/core-rig";

// ---- keepalive ----

test("core timing: the first PINGREQ comes keepalive ms after the CONNECT, not after the CONNACK [MQTT-3.1.2-23]", () => {
  const r = rig({ keepalive: 10 });
  r.c.connect();
  r.clock.advance(1000);
  r.open(); // CONNECT at 1000
  r.clock.advance(3000);
  r.s().data("20020000"); // CONNACK at 4000
  r.clock.advance(6999);
  assert.equal(r.s().take(), []);
  r.clock.advance(1);
  assert.equal(r.s().take(), ["c000"]); // 11000
  assert.is(r.timers(), 1);
});

test("core timing: sends postpone the PINGREQ, receptions do not; a PUBACK we send counts as a send", () => {
  const r = rig({ keepalive: 10 });
  r.c.connect();
  r.up(); // CONNECT at 0
  r.clock.advance(4000);
  r.c.publish("t", "1"); // 4000: next check at 14000
  r.s().take();
  r.clock.advance(3000);
  r.s().data(pubHex("t", "")); // 7000: a QoS 0 message in: nothing sent
  r.clock.advance(6999);
  assert.equal(r.s().take(), []);
  r.clock.advance(1);
  assert.equal(r.s().take(), ["c000"]); // 14000
  r.s().data("d000");
  r.clock.advance(5000);
  r.s().data(pubHex("t", "", 1, 3)); // 19000: we PUBACK: next check at 29000
  assert.equal(r.s().take(), ["40020003"]);
  r.clock.advance(9999);
  assert.equal(r.s().take(), []);
  r.clock.advance(1);
  assert.equal(r.s().take(), ["c000"]);
  assert.equal(r.events, ["connect"]);
});

test("core timing: no answer to a PINGREQ within keepalive -> PING_TIMEOUT, close, offline; any packet answers it", () => {
  const r = rig({ keepalive: 10, reconnect: { min: 1000 } }, 1);
  r.c.connect();
  r.up();
  r.clock.advance(10000);
  assert.equal(r.s().take(), ["c000"]);
  r.clock.advance(4000);
  r.s().data(pubHex("x", "")); // any packet shows the link is alive
  r.clock.advance(6000); // 20000: sent nothing since the PINGREQ: ping again
  assert.equal(r.s().take(), ["c000"]);
  r.clock.advance(5000);
  r.c.publish("t", "2"); // a send while the ping is unanswered does not postpone the timeout
  r.s().take();
  r.clock.advance(4999);
  assert.is(r.s().ended, false);
  r.clock.advance(1); // 30000: 10 s after the PINGREQ
  assert.is(r.s().ended, true);
  assert.equal(r.s().take(), []);
  assert.equal(r.events, ["connect", "error:PING_TIMEOUT", "close", "offline"]);
  assert.is(r.c.connected, false);
  assert.is(r.timers(), 1); // the backoff
});

test("core timing: a PINGRESP in time: no timeout, the next PINGREQ keepalive after the last one", () => {
  const r = rig({ keepalive: 5 });
  r.c.connect();
  r.up();
  for (let i = 1; i <= 4; i++) {
    r.clock.advance(4999);
    assert.equal(r.s().take(), [], "before ping " + i);
    r.clock.advance(1);
    assert.equal(r.s().take(), ["c000"], "ping " + i);
    r.s().data("d000");
  }
  assert.equal(r.events, ["connect"]);
  assert.is(r.timers(), 1);
});

test("core timing: keepalive 0 turns keepalive off: no timer while connected, no PINGREQ ever", () => {
  const r = rig({ keepalive: 0 });
  r.c.connect();
  r.up();
  assert.is(r.timers(), 0);
  r.clock.advance(1e8);
  assert.equal(r.s().take(), []);
  assert.equal(r.events, ["connect"]);
});

test("core timing: the clock set back (Date.now on a board after an NTP sync): the PINGREQ still comes within keepalive", () => {
  const r = rig({ keepalive: 10 });
  r.c.connect();
  r.up();
  r.clock.advance(5000);
  r.skew(-3600e3); // an hour back
  r.clock.advance(4999);
  assert.equal(r.s().take(), []);
  r.clock.advance(1); // 10 s after the CONNECT by the timers
  assert.equal(r.s().take(), ["c000"]);
  r.s().data("d000");
  r.clock.advance(10000);
  assert.equal(r.s().take(), ["c000"]);
  // set forward: a ping at once at the next check, no PING_TIMEOUT out of it
  r.s().data("d000");
  r.skew(3600e3);
  r.clock.advance(10000);
  assert.equal(r.s().take(), ["c000"]);
  r.s().data("d000");
  assert.equal(r.events, ["connect"]);
});

// ---- ack and connect timeouts ----

test("core timing: ackTimeout: no PUBACK in time -> ACK_TIMEOUT, reconnect, the publish resent with DUP", () => {
  const r = rig({ ackTimeout: 5000, clean: false, reconnect: { min: 100, jitter: 0 } });
  r.c.connect();
  r.up();
  r.clock.advance(1000);
  const log: any[] = [];
  r.c.publish("t", "", { qos: 1 }, (e: any) => log.push(e));
  assert.equal(r.s().take(), ["3205000174" + "0001"]);
  r.clock.advance(4999);
  assert.is(r.s().ended, false);
  r.clock.advance(1); // 6000
  assert.is(r.s().ended, true);
  assert.equal(r.events, ["connect", "error:ACK_TIMEOUT", "close", "offline"]);
  r.clock.advance(100);
  assert.equal(r.up(true), ["3a05000174" + "0001"]);
  r.s().data("40020001");
  assert.equal(log, [undefined]);
  // acked: no timeout later
  r.clock.advance(59000);
  assert.is(r.socks.length, 2);
  assert.is(r.s().ended, false);
});

test("core timing: ackTimeout: an ack in time keeps the link; PUBREC restarts the wait for PUBCOMP; SUBSCRIBE times out too", () => {
  const r = rig({ ackTimeout: 5000 });
  r.c.connect();
  r.up();
  r.c.publish("t", "", { qos: 2 });
  r.clock.advance(4000);
  r.s().data("50020001"); // 4000: PUBREC: PUBCOMP due by 9000
  r.clock.advance(4999);
  assert.is(r.s().ended, false);
  r.s().data("70020001");
  r.clock.advance(20000);
  assert.is(r.s().ended, false);
  r.c.subscribe("s"); // at 28999
  r.clock.advance(4999);
  assert.is(r.s().ended, false);
  r.clock.advance(1);
  assert.is(r.s().ended, true);
  assert.equal(r.events, ["connect", "error:ACK_TIMEOUT", "close", "offline"]);
});

test("core timing: ackTimeout 0 (default) never times an ack out", () => {
  const r = rig({ keepalive: 0 });
  r.c.connect();
  r.up();
  r.c.publish("t", "", { qos: 1 });
  assert.is(r.timers(), 0);
  r.clock.advance(1e8);
  assert.is(r.s().ended, false);
  assert.equal(r.events, ["connect"]);
});

test("core timing: connectTimeout while the socket opens and while the CONNACK is awaited -> CONNECT_TIMEOUT; default 30 s", () => {
  const r = rig({ connectTimeout: 5000, reconnect: { min: 100, jitter: 0 } });
  r.c.connect();
  r.clock.advance(4999);
  assert.is(r.s().ended, false);
  r.clock.advance(1);
  assert.is(r.s().ended, true);
  assert.equal(r.events, ["error:CONNECT_TIMEOUT", "close"]);
  r.clock.advance(100);
  r.clock.advance(2000);
  r.open(); // open at 2 s, no CONNACK: still 5 s from the dial
  r.clock.advance(2999);
  assert.is(r.s().ended, false);
  r.clock.advance(1);
  assert.is(r.s().ended, true);
  assert.equal(r.events.slice(2), ["reconnect", "error:CONNECT_TIMEOUT", "close"]);
  const d = rig();
  d.c.connect();
  d.open();
  d.clock.advance(29999);
  assert.equal(d.events, []);
  d.clock.advance(1);
  assert.equal(d.events, ["error:CONNECT_TIMEOUT", "close"]);
});

// ---- backoff ----

test("core timing: backoff min x factor^n capped at max, with jitter: delay = cap x (1 - jitter x random)", () => {
  const r = rig({ reconnect: { min: 100, max: 1000, factor: 3, jitter: 0.5 } }, 0.5);
  r.c.connect();
  const gaps: number[] = [];
  for (let i = 0; i < 6; i++) {
    r.s().fire("error", { message: "refused" });
    r.s().fire("close"); // (after error: ignored)
    gaps.push(untilDial(r));
  }
  // caps 100, 300, 900, 1000...; x 0.75
  assert.equal(gaps, [75, 225, 675, 750, 750, 750]);
  assert.equal(r.events.slice(0, 4), ["error:NET", "close", "reconnect", "error:NET"]);
  assert.match(r.errors[0].message, /refused/);
  assert.is(r.events.filter((e) => e == "close").length, 6);
});

test("core timing: default backoff 1 s x 2^n capped at 60 s, full jitter", () => {
  const r = rig({}, 0.5);
  r.c.connect();
  const gaps: number[] = [];
  for (let i = 0; i < 8; i++) r.s().fire("close"), gaps.push(untilDial(r));
  assert.equal(gaps, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  const z = rig({}, 0); // random 0: the full cap
  z.c.connect();
  z.s().fire("close");
  assert.is(untilDial(z), 1000);
});

test("core timing: a backoff of 0 ms (random ~1, or min 0) still waits a timer tick: no synchronous redial loop", () => {
  for (const [o, rnd] of [
    [{ min: 100 }, 0.9999999],
    [{ min: 0 }, 0.5],
  ] as const) {
    const r = rig({ reconnect: o }, rnd);
    r.c.connect();
    r.s().fire("close");
    assert.is(r.socks.length, 1);
    assert.is(untilDial(r), 1);
  }
});

test("core timing: backoff resets only after a keepalive check, not at CONNACK (a broker that kicks at once gets no storm)", () => {
  const r = rig({ keepalive: 10, reconnect: { min: 100, max: 100000, jitter: 0 } });
  r.c.connect();
  r.s().fire("close");
  assert.is(untilDial(r), 100);
  // accepted, then closed at once, three times: the backoff keeps growing
  const gaps: number[] = [];
  for (let i = 0; i < 3; i++) {
    r.up();
    r.clock.advance(9999);
    r.s().fire("close");
    gaps.push(untilDial(r));
  }
  assert.equal(gaps, [200, 400, 800]);
  r.up();
  r.clock.advance(10000); // a keepalive check passed
  assert.equal(r.s().take(), ["c000"]);
  r.s().fire("close");
  assert.is(untilDial(r), 100);
  // a check without a PINGREQ (something was sent just before) counts too
  r.up();
  r.clock.advance(5000);
  r.c.publish("t", "");
  r.clock.advance(5000); // the check at 10 s: no ping due
  assert.equal(r.s().take(), ["3003000174"]);
  r.s().fire("close");
  assert.is(untilDial(r), 100);
});

test("core timing: reconnect:false: a drop leaves the client stopped (no timer, no dial); connect() starts it again", () => {
  const r = rig({ reconnect: false });
  r.c.connect();
  r.up();
  r.s().fire("close");
  assert.equal(r.events, ["connect", "close", "offline"]);
  assert.is(r.timers(), 0);
  r.clock.advance(1e7);
  assert.is(r.socks.length, 1);
  r.c.connect();
  assert.is(r.socks.length, 2);
  assert.equal(r.open(), ["100d00044d5154540402003c000163"]);
  // refused CONNACK: stopped too
  r.s().data("20020005");
  assert.is(r.timers(), 0);
  assert.equal(r.events.slice(3), ["error:CONNACK_REFUSED", "close"]);
});

test("core timing: a reconnect never runs while one is in progress: connect() while dialing or waiting is ignored; a late close is ignored", () => {
  const r = rig({ reconnect: { min: 1000, jitter: 0 } });
  r.c.connect();
  r.c.connect(); // dialing
  assert.is(r.socks.length, 1);
  r.up();
  r.c.connect(); // connected
  assert.is(r.socks.length, 1);
  const old = r.s();
  old.fire("error", { message: "reset" });
  old.fire("close"); // the same drop: one close, one timer
  assert.equal(r.events, ["connect", "error:NET", "close", "offline"]);
  assert.is(r.timers(), 1);
  r.c.connect(); // waiting for the backoff: not now
  assert.is(r.socks.length, 1);
  r.clock.advance(1000);
  assert.is(r.socks.length, 2);
  old.fire("close"); // the old socket again: nothing
  old.data("20020000");
  assert.equal(r.events, ["connect", "error:NET", "close", "offline", "reconnect"]);
  assert.is(r.timers(), 1);
  r.clock.advance(29999);
  r.up();
  assert.is(r.socks.length, 2);
  assert.equal(r.events.slice(5), ["connect"]);
  assert.is(r.timers(), 1);
});

test("core timing: end() stops it: during the backoff, while dialing (a late open writes nothing), while connected", () => {
  const r = rig({ reconnect: { min: 100 } });
  r.c.connect();
  r.s().fire("close");
  r.c.end();
  assert.is(r.timers(), 0);
  r.clock.advance(1e7);
  assert.is(r.socks.length, 1);
  assert.equal(r.events, ["close", "end"]);
  const d = rig();
  d.c.connect();
  d.c.end();
  assert.is(d.s().ended, true);
  d.s().onOpen();
  d.s().data("20020000");
  assert.equal(d.s().take(), []);
  assert.equal(d.events, ["close", "end"]);
  assert.is(d.timers(), 0);
  const c = rig({ keepalive: 1 });
  c.c.connect();
  c.up();
  c.c.end();
  c.clock.advance(1e7);
  assert.equal(c.s().take(), ["e000"]);
  assert.is(c.timers(), 0);
  assert.is(c.socks.length, 1);
});

test("core timing: connect() again after end(): no 'reconnect' event, backoff from its minimum", () => {
  const r = rig({ keepalive: 10, reconnect: { min: 100, jitter: 0 } });
  r.c.connect();
  for (let i = 0; i < 3; i++) r.s().fire("close"), untilDial(r);
  r.c.end();
  r.c.connect();
  assert.is(r.socks.length, 5);
  assert.equal(r.events.filter((e) => e == "reconnect").length, 3);
  assert.equal(r.events.slice(-2), ["close", "end"]);
  r.up();
  r.s().fire("close");
  assert.is(untilDial(r), 100);
  assert.equal(r.events.slice(-1), ["reconnect"]);
});

test("core timing: at most one timer pending on every path, none after end()", () => {
  const r = rig({ keepalive: 5, ackTimeout: 2000, reconnect: { min: 100 } }, 1);
  const seen: number[] = [];
  const chk = () => seen.push(r.timers());
  r.c.connect();
  chk();
  r.s().onOpen();
  chk();
  r.s().data("20020000");
  chk();
  r.c.publish("t", "", { qos: 1 });
  chk();
  r.s().data("40020001");
  chk();
  r.clock.advance(5000); // PINGREQ
  chk();
  r.clock.advance(5000); // PING_TIMEOUT
  chk();
  r.clock.advance(100);
  chk();
  r.c.end();
  chk();
  r.c.end();
  chk();
  assert.equal(seen, [1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
  assert.equal(r.events, ["connect", "error:PING_TIMEOUT", "close", "offline", "reconnect", "close", "end", "end"]);
});

test("core timing: a queued publish's callback that calls end() during the flush on CONNACK: no 'connect' after 'end', nothing more sent", () => {
  const r = rig();
  r.c.publish("t", "a", () => r.c.end());
  r.c.publish("t", "b", (e: any) => r.events.push("cb:" + (e && e.code)));
  r.c.connect();
  assert.equal(r.up(), ["300400017461", "e000"]);
  assert.equal(r.events, ["close", "cb:ENDED", "end"]);
  assert.is(r.timers(), 0);
});

test.run();
