/**
 * Adversarial review of the core/full client: behaviour checked and found correct, pinned
 * (each test can fail: exact bytes, counts and states). The defects the review found are
 * tested in client-robustness.test.ts.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { bytes, setup, take, CONNACK, type VHal } from "./support/virtual";
import { espruinoClock } from "../src/hal/espruino/clock";

/** Advance 1 ms at a time until a new connection is dialed; returns the ms it took. */
function untilDial(hal: VHal): number {
  const n = hal.conns.length,
    t0 = hal.clock.now();
  while (hal.conns.length == n) {
    if (hal.clock.now() - t0 > 3_600_000) throw new Error("no dial within an hour");
    hal.clock.advance(1);
  }
  return hal.clock.now() - t0;
}

function open(hal: VHal): void {
  hal.c().h.onOpen();
  take(hal.c());
  hal.c().h.onData(bytes(CONNACK));
}

test("backoff: a connection that lived through a keepalive check starts the backoff from its minimum again", () => {
  const { hal } = setup({ keepalive: 10, reconnect: { min: 1000, max: 60_000, jitter: 0 } });
  const gaps: number[] = [];
  for (let i = 0; i < 3; i++) {
    hal.c().h.onClose();
    gaps.push(untilDial(hal));
    open(hal);
  }
  hal.clock.advance(10_000);
  assert.equal(take(hal.c()), ["c000"]);
  hal.c().h.onData(bytes("d000"));
  hal.c().h.onClose();
  gaps.push(untilDial(hal));
  assert.equal(gaps.slice(0, 1).concat(gaps.slice(3)), [1000, 1000]);
});

test("backoff: random() = 0 gives the full cap (never a 0 ms redial loop); jitter 0 ignores random", () => {
  const { hal } = setup({ reconnect: { min: 500 } }, true, 0);
  hal.c().h.onClose();
  assert.is(untilDial(hal), 500);
});

test("[MQTT-2.2.3] remaining length: a 4th byte with continuation (0x80 run) is BAD_LENGTH, the link is dropped, nothing buffered", () => {
  const { hal, client, events } = setup({ reconnect: { min: 100, jitter: 0 } });
  hal.c().h.onData(bytes("30 80 80 80 80 01"));
  assert.equal(events, ["error:BAD_LENGTH", "close", "offline"]);
  assert.is(hal.conns[0].destroyed, true);
  assert.is(client._d._p, null);
  assert.is(client._s, 0);
});

test("[MQTT-2.2.3] remaining length split byte by byte, 4 bytes long (2,097,152): accepted, buffered only as it arrives", () => {
  const { hal, client, events } = setup();
  // 30 | 80 80 80 01 = 2^21 bytes announced; only 4 of them arrive
  for (const b of ["30", "80", "80", "80", "01", "00", "01", "74", "78"]) hal.c().h.onData(bytes(b));
  assert.equal(events, []);
  assert.is(client._s, 3);
  assert.ok(client._d._p!.length <= 32, "grows with the bytes that arrived: " + client._d._p!.length);
});

test("maxPacketSize: a header announcing more is PACKET_TOO_LARGE before the body arrives", () => {
  const { hal, events } = setup({ maxPacketSize: 100 });
  // 30 | 65 = 101 bytes + 2 header > 100
  hal.c().h.onData(bytes("3065"));
  assert.equal(events, ["error:PACKET_TOO_LARGE", "close", "offline"]);
});

test("[MQTT-3.2] a CONNACK too short or too long: MALFORMED, no connect", () => {
  for (const h of ["200100", "2003000000"]) {
    const { hal, client, events } = setup({}, false);
    client.connect();
    hal.c().h.onOpen();
    hal.c().h.onData(bytes(h));
    assert.equal(events, ["error:MALFORMED", "close"], h);
    assert.is(client.connected, false);
  }
});

test("[MQTT-3.2.0-1] a PUBLISH before CONNACK, or a second CONNACK: PROTOCOL, dropped, no message", () => {
  const a = setup({}, false);
  a.client.connect();
  a.hal.c().h.onOpen();
  a.hal.c().h.onData(bytes("3004000174" + "78" + CONNACK));
  assert.equal(a.events, ["error:PROTOCOL", "close"]);
  assert.equal(a.messages, []);
  const b = setup();
  b.hal.c().h.onData(bytes(CONNACK));
  assert.equal(b.events, ["error:PROTOCOL", "close", "offline"]);
  assert.is(b.client._s, 0);
});

test("a CONNACK arriving late on a connection that timed out is ignored; the new connection is unaffected", () => {
  const { hal, client, events } = setup({ connectTimeout: 1000, reconnect: { min: 10, jitter: 0 } }, false);
  client.connect();
  hal.c().h.onOpen();
  hal.clock.advance(1000);
  assert.equal(events, ["error:CONNECT_TIMEOUT", "close"]);
  const old = hal.c();
  hal.clock.advance(10);
  assert.is(hal.conns.length, 2);
  old.h.onData(bytes(CONNACK));
  assert.is(client.connected, false);
  assert.is(client._s, 1);
});

test("empty SUBSCRIBE / UNSUBSCRIBE lists are refused (BAD_FILTER), nothing sent [MQTT-3.8.3-3] [MQTT-3.10.3-2]", () => {
  const { hal, client } = setup();
  const codes: string[] = [];
  client.subscribe([], (e: any) => codes.push(e.code));
  client.subscribe({}, (e: any) => codes.push(e.code));
  client.unsubscribe([], (e: any) => codes.push(e.code));
  assert.equal(codes, ["BAD_FILTER", "BAD_FILTER", "BAD_FILTER"]);
  assert.equal(take(hal.c()), []);
  assert.is(client._out.length, 0);
  assert.is(client._id, 0);
});

test("[MQTT-3.3.1-1/2] DUP: 0 on the first send of QoS 1, 1 on the resend after a reconnect; a QoS 0 publish never has it", () => {
  const { hal, client } = setup({ reconnect: { min: 10, jitter: 0 } });
  client.publish("t", "x", { qos: 1 });
  client.publish("t", "y");
  assert.equal(take(hal.c()), ["3206000174000178", "3004000174" + "79"]);
  hal.c().h.onClose();
  hal.clock.advance(10);
  hal.c().h.onOpen();
  take(hal.c());
  hal.c().h.onData(bytes(CONNACK));
  // 3a = PUBLISH | DUP | QoS 1
  assert.equal(take(hal.c()), ["3a06000174000178"]);
  client.publish("t", "z");
  assert.equal(take(hal.c()), ["3004000174" + "7a"]);
});

test("[MQTT-2.3.1-2] after the counter wraps, ids still in flight are skipped until acknowledged", () => {
  const { hal, client } = setup({ inflightWindow: 100 });
  client.publish("t", "a", { qos: 1 }); // id 1
  client.publish("t", "b", { qos: 1 }); // id 2
  client._id = 65534;
  client.publish("t", "c", { qos: 1 }); // 65535
  client.publish("t", "d", { qos: 1 }); // 1 and 2 in use: 3
  hal.c().h.onData(bytes("40020001"));
  client.publish("t", "e", { qos: 1 }); // 4
  assert.equal(
    client._out.map((e: any) => e.p.messageId),
    [2, 65535, 3, 4],
  );
  assert.equal(take(hal.c()).map((h) => h.slice(10, 14)), ["0001", "0002", "ffff", "0003", "0004"]);
});

test("[MQTT-3.1.2-10] keepalive 65535 is sent as ffff; NaN or a string that is not a number is BAD_OPTION", () => {
  const { hal, client } = setup({ keepalive: 65535 }, false);
  client.connect();
  hal.c().h.onOpen();
  assert.equal(take(hal.c()), ["100d00044d5154540402ffff000163"]);
  for (const k of [NaN, "x"]) assert.throws(() => setup({ keepalive: k as any }, false), /BAD_OPTION/);
});

test("end() inside a 'connect' listener: ended, no timer left, nothing open", () => {
  const { hal, client } = setup({}, false);
  client.on("connect", () => client.end());
  client.connect();
  open(hal);
  assert.is(client._s, 4);
  assert.is(hal.clock.pending(), 0);
  assert.is(hal.c().ended, true);
  // DISCONNECT went out before the close
  assert.equal(take(hal.c()), ["e000"]);
});

test("end() inside a 'close' listener after a drop: no reconnect, no timer left", () => {
  const { hal, client } = setup({ reconnect: { min: 10, jitter: 0 } });
  client.on("close", () => client.end());
  hal.c().h.onClose();
  assert.is(client._s, 4);
  assert.is(hal.clock.pending(), 0);
  hal.clock.advance(60_000);
  assert.is(hal.conns.length, 1);
});

test("Espruino clock: Date.now set back (setTime) never makes now() go backwards; time runs on from there", () => {
  const real = Date.now;
  let t = 1_000_000;
  Date.now = () => t;
  try {
    const c = espruinoClock();
    assert.is(c.now(), 1_000_000);
    t = 1_000_500;
    assert.is(c.now(), 1_000_500);
    t = 5_000; // clock set back
    assert.is(c.now(), 1_000_500);
    t = 5_250;
    assert.is(c.now(), 1_000_750);
  } finally {
    Date.now = real;
  }
});

test.run();
