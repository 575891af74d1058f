/**
 * The core/full client (src/client/client.ts and what it uses) against
 * listeners and callbacks that throw or re-enter it, brokers that kick it, a
 * late CONNACK and nonsense options: each test was written first as the
 * correct behaviour, failed against the client before its fix, and holds
 * since. A listener that throws stands for Espruino, where an exception in a
 * socket or timer callback is printed and the rest of that callback skipped.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { bytes, setup, take, CONNACK } from "./support/virtual";
import { Liveness } from "../src/client/liveness";

const boom = () => {
  throw new Error("boom");
};

/** Run `f`, which is expected to throw the listener's "boom" (as Espruino would print it). */
function throwsBoom(f: () => void): void {
  assert.throws(f, /boom/);
}

/** Live (neither ended nor destroyed) connections of the rig. */
function live(hal: { conns: { ended: boolean; destroyed: boolean }[] }): number {
  return hal.conns.filter((k) => !k.ended && !k.destroyed).length;
}

// ---------------------------------------------------------------- 1. listeners that throw

for (const ev of ["error", "close", "offline"]) {
  test(`#1 an '${ev}' listener that throws when the connection drops: the client still redials after the backoff`, () => {
    // keepalive 0: no other timer is left to rescue it
    const { hal, client } = setup({ keepalive: 0, reconnect: { min: 100, jitter: 0 } });
    client.on(ev, boom);
    throwsBoom(() => hal.c().h.onClose(new Error("reset")));
    assert.is(client._s, 0);
    hal.clock.advance(100);
    assert.is(hal.conns.length, 2, "redialed");
    assert.is(client._s, 1);
  });
}

test("an 'error' listener that throws (once) when the connection drops: the client still redials (keepalive 60 s)", () => {
  const { hal, client } = setup({ reconnect: { min: 100, jitter: 0 } });
  let n = 0;
  client.on("error", () => {
    if (!n++) boom();
  });
  throwsBoom(() => hal.c().h.onClose(new Error("reset")));
  hal.clock.advance(3_600_000);
  assert.ok(hal.conns.length >= 2);
});

test("a 'reconnect' listener that throws: the dial still happens, and the client keeps retrying", () => {
  const { hal, client } = setup({ keepalive: 0, reconnect: { min: 100, jitter: 0 } });
  let n = 0;
  client.on("reconnect", () => {
    if (!n++) boom();
  });
  hal.c().h.onClose();
  throwsBoom(() => hal.clock.advance(100));
  // the attempt the listener interrupted: dialed (or, at worst, retried later)
  hal.clock.advance(60_000);
  assert.ok(hal.conns.length >= 2, "dialed again");
  assert.is(client._s, 1);
  assert.is(live(hal), 1);
});

test("end() inside a 'reconnect' listener: no connection is left open and no more dials", () => {
  const { hal, client } = setup({ keepalive: 0, reconnect: { min: 100, jitter: 0 } });
  client.on("reconnect", () => client.end());
  hal.c().h.onClose();
  hal.clock.advance(100);
  assert.is(client._s, 4);
  assert.is(client._c, null);
  assert.is(live(hal), 0, "nothing left open after end()");
  hal.clock.advance(600_000);
  assert.ok(hal.conns.length <= 2);
  assert.is(live(hal), 0);
});

test("a 'ping' listener that throws: the ping timeout still runs (PING_TIMEOUT, redial)", () => {
  const { hal, client, events } = setup({ keepalive: 10, reconnect: { min: 100, jitter: 0 } });
  client.on("ping", boom);
  throwsBoom(() => hal.clock.advance(10_000));
  assert.equal(take(hal.c()), ["c000"]);
  // no PINGRESP: dead after the ping timeout (default: the keepalive)
  hal.clock.advance(10_000);
  assert.equal(events, ["error:PING_TIMEOUT", "close", "offline"]);
  hal.clock.advance(100);
  assert.is(hal.conns.length, 2);
});

test("[MQTT-4.3.2-2] a 'message' listener that throws on a QoS 1 PUBLISH: the PUBACK is still sent", () => {
  const { hal, client } = setup();
  client.on("message", boom);
  // 32 06 | 0001 "t" | id 0007 | "x"
  throwsBoom(() => hal.c().h.onData(bytes("3206000174000778")));
  assert.equal(take(hal.c()), ["40020007"]);
});

test("[MQTT-4.3.3-2] a 'message' listener that throws on a QoS 2 PUBLISH: PUBREC still sent, delivered once", () => {
  const { hal, client, messages } = setup();
  client.on("message", boom);
  throwsBoom(() => hal.c().h.onData(bytes("3406000174000778")));
  assert.equal(take(hal.c()), ["50020007"]);
  // the broker's retry (DUP) is not delivered again, and is answered
  hal.c().h.onData(bytes("3c06000174000778"));
  assert.equal(take(hal.c()), ["50020007"]);
  assert.is(messages.length, 1);
});

test("a queued QoS 0 publish whose callback throws at CONNACK: sent once, the rest of the queue goes, `connect` is emitted", () => {
  const { hal, client, events } = setup({}, false);
  client.connect();
  client.publish("t", "a", boom);
  client.publish("t", "b");
  hal.c().h.onOpen();
  take(hal.c());
  throwsBoom(() => hal.c().h.onData(bytes(CONNACK)));
  // 30 04 | 0001 "t" | "a" ; "b"
  assert.equal(take(hal.c()), ["3004000174" + "61", "3004000174" + "62"]);
  assert.is(client._q._a.length, 0, "queue flushed");
  assert.ok(events.includes("connect"), "connect emitted");
  // nothing stalls or repeats later
  client.publish("t", "c");
  assert.equal(take(hal.c()), ["3004000174" + "63"]);
  client.publish("t", "d", { qos: 1 });
  hal.c().h.onData(bytes("40020001"));
  assert.equal(take(hal.c()), ["3206000174000164"]);
});

test("an offline-queue drop callback that throws: the new publish is still queued (and sent on connect)", () => {
  const { hal, client } = setup({ queue: { limit: 1 } }, false);
  const log: string[] = [];
  client.publish("t", "a", boom);
  throwsBoom(() => client.publish("t", "b", (e: any) => log.push("b:" + (e && e.code))));
  client.connect();
  hal.c().h.onOpen();
  take(hal.c());
  hal.c().h.onData(bytes(CONNACK));
  assert.equal(take(hal.c()), ["3004000174" + "62"]);
  assert.equal(log, ["b:undefined"]);
});

test("end() inside a 'message' listener: no message after it from the same chunk", () => {
  const { hal, client, messages, events } = setup();
  client.on("message", (t: string) => {
    if (t == "a") client.end();
  });
  // PUBLISH "a" "1" | PUBLISH "b" "2"
  hal.c().h.onData(bytes("3004000161" + "31" + "3004000162" + "32"));
  assert.equal(
    messages.map((m) => m[0]),
    ["a"],
  );
  assert.equal(events, ["close", "end"]);
});

test("end() inside a 'message' listener, then a malformed packet in the same chunk: the client stays ended", () => {
  const { hal, client, events } = setup({ reconnect: { min: 100, jitter: 0 } });
  client.on("message", () => client.end());
  // PUBLISH "a" | type 0 (reserved)
  hal.c().h.onData(bytes("3004000161" + "31" + "0000"));
  assert.is(client._s, 4);
  hal.clock.advance(600_000);
  assert.is(hal.conns.length, 1, "no reconnect after end()");
  assert.equal(events, ["close", "end"]);
});

// ---------------------------------------------------------------- 2. reconnect storms

test("a broker that accepts and closes at once (duplicate client id): the backoff grows, it is not reset by each CONNACK", () => {
  const { hal } = setup({ keepalive: 60, reconnect: { min: 1000, max: 60_000, jitter: 0 } });
  const gaps: number[] = [];
  for (let i = 0; i < 5; i++) {
    hal.c().h.onClose();
    const n = hal.conns.length;
    const t0 = hal.clock.now();
    while (hal.conns.length == n) hal.clock.advance(1);
    gaps.push(hal.clock.now() - t0);
    hal.c().h.onOpen();
    hal.c().h.onData(bytes(CONNACK));
  }
  assert.equal(gaps, [1000, 2000, 4000, 8000, 16000]);
});

// ---------------------------------------------------------------- 3. keepalive

test("[MQTT-3.1.2-23] the first PINGREQ is due `keepalive` after the CONNECT, not after a late CONNACK", () => {
  const { hal, client } = setup({ keepalive: 10 }, false);
  client.connect();
  hal.c().h.onOpen(); // CONNECT at t=0
  take(hal.c());
  hal.clock.advance(4000);
  hal.c().h.onData(bytes(CONNACK));
  hal.clock.advance(5999);
  assert.equal(take(hal.c()), []);
  hal.clock.advance(1); // t = 10 s
  assert.equal(take(hal.c()), ["c000"]);
});

test("[MQTT-3.1.2-23] Liveness (full board policy): the first PINGREQ is due `keepalive` after the CONNECT", () => {
  const { hal, client } = setup({ keepalive: 10, keepalivePolicy: new Liveness() }, false);
  client.connect();
  hal.c().h.onOpen();
  take(hal.c());
  hal.clock.advance(4000);
  hal.c().h.onData(bytes(CONNACK));
  hal.clock.advance(6000);
  assert.equal(take(hal.c()), ["c000"]);
});

// ---------------------------------------------------------------- 4. options

test("a CONNECT the codec refuses (larger than maxPacketSize): reported as PACKET_TOO_LARGE at once, not a silent CONNECT_TIMEOUT 30 s later", () => {
  const { hal, client, events } = setup({ maxPacketSize: 10 }, false);
  client.connect();
  hal.c().h.onOpen();
  assert.equal(take(hal.c()), []);
  assert.equal(events.slice(0, 1), ["error:PACKET_TOO_LARGE"]);
  assert.is(client._s, 0);
});

test("inflightWindow -1 (nonsense): read as the default, QoS 1 publishes are sent (not queued forever)", () => {
  const { hal, client } = setup({ inflightWindow: -1 });
  client.publish("t", "x", { qos: 1 });
  assert.equal(take(hal.c()), ["3206000174000178"]);
});

test("inflightWindow -1 (nonsense), 5.0 CONNACK with Receive Maximum 2: the window is 2 (the default's smaller), QoS 1 publishes are sent", () => {
  const { hal, client } = setup({ inflightWindow: -1, protocolVersion: 5 }, false);
  client.connect();
  hal.c().h.onOpen();
  take(hal.c());
  // CONNACK, receiveMaximum 2 (21 0002)
  hal.c().h.onData(bytes("2006 00 00 03 210002"));
  client.publish("t", "x", { qos: 1 });
  client.publish("t", "y", { qos: 1 });
  client.publish("t", "z", { qos: 1 });
  assert.equal(take(hal.c()), ["320700017400010078", "320700017400020079"]);
});

test("5.0 (3.2.2.3.3): a server's Receive Maximum holds for its connection only: a reconnect whose CONNACK has none (65,535) has the configured window again", () => {
  const { hal, client } = setup({ inflightWindow: 3, protocolVersion: 5, reconnect: { min: 100, jitter: 0 } }, false);
  client.connect();
  hal.c().h.onOpen();
  // receiveMaximum 1
  hal.c().h.onData(bytes("2006 00 00 03 210001"));
  hal.c().h.onClose();
  hal.clock.advance(100);
  hal.c().h.onOpen();
  take(hal.c());
  // no properties: Receive Maximum 65,535, so the client's own window (3)
  hal.c().h.onData(bytes("2003 00 00 00"));
  for (const p of ["a", "b", "c", "d"]) client.publish("t", p, { qos: 1 });
  assert.equal(take(hal.c()), ["320700017400010061", "320700017400020062", "320700017400030063"]);
});

test("[MQTT-3.9.3-1] a SUBACK with fewer codes than filters is a protocol error, not a grant: dropped, the SUBSCRIBE resent whole", () => {
  const { hal, client, events } = setup({ reconnect: { min: 100, jitter: 0 } });
  const acks: string[] = [];
  client.subscribe(["a", "b"], { qos: 1 }, (e: any, g: any) => acks.push((e ? e.code : "ok") + " " + JSON.stringify(g)));
  // SUBSCRIBE id 1: a (QoS 1), b (QoS 1)
  assert.equal(take(hal.c()), ["820a00010001610100016201"]);
  hal.c().h.onData(bytes("9003000101"));
  assert.equal(events, ["error:PROTOCOL", "close", "offline"]);
  assert.is(hal.c().destroyed, true);
  assert.equal(acks, []);
  hal.clock.advance(100);
  hal.c().h.onOpen();
  take(hal.c());
  hal.c().h.onData(bytes(CONNACK));
  assert.equal(take(hal.c()), ["820a00010001610100016201"]);
  hal.c().h.onData(bytes("900400010101"));
  assert.equal(acks, ["ok [1,1]"]);
});

test("a route handler that unsubscribes its own filter does not rob the next matching route of the message", () => {
  const { hal, client } = setup();
  const got: string[] = [];
  // a one-shot pattern: wait for one (retained) message, then unsubscribe
  client.route("cfg", () => {
    got.push("once");
    client.unsubscribe("cfg");
  });
  client.route("+", () => got.push("all"));
  // PUBLISH cfg "1", then cfg "2"
  hal.c().h.onData(bytes("30060003636667" + "31"));
  assert.equal(got, ["once", "all"]);
  hal.c().h.onData(bytes("30060003636667" + "32"));
  assert.equal(got, ["once", "all", "all"]);
});

// ---------------------------------------------------------------- 5. found by the core model test (test/client-core-model)

for (const ev of ["close", "end"]) {
  test(`end() when an '${ev}' listener throws: what waited gets ENDED, 'end' and end()'s callback run, the first error is rethrown, nothing is resent on the next connect()`, () => {
    const { hal, client, events } = setup({ inflightWindow: 1 });
    const log: string[] = [];
    client.publish("t", "a", { qos: 1 }, (e: any) => {
      log.push("a:" + (e && e.code));
      // (a later error: the listener's, thrown first, is the one rethrown)
      if (ev == "close") throw new Error("later");
    });
    // the window is full: b waits in the queue
    client.publish("t", "b", { qos: 1 }, (e: any) => log.push("b:" + (e && e.code)));
    assert.equal(take(hal.c()), ["32060001740001" + "61"]);
    client.on(ev, boom);
    throwsBoom(() => client.end(() => log.push("cb")));
    assert.equal(log, ["a:ENDED", "b:ENDED", "cb"]);
    assert.equal(events, ["close", "end"]);
    assert.equal(take(hal.c()), ["e000"]);
    assert.is(client._out.length + client._q._a.length, 0);
    client.removeListener(ev, boom);
    client.connect();
    hal.c().h.onOpen();
    take(hal.c());
    hal.c().h.onData(bytes(CONNACK));
    assert.equal(take(hal.c()), []);
    assert.equal(log, ["a:ENDED", "b:ENDED", "cb"]);
  });
}

test("one publish pushing two out of the offline queue: a drop callback that throws does not lose the other's report, the new one stays queued", () => {
  const { hal, client } = setup({ queue: { bytes: 4 } }, false);
  const log: string[] = [];
  const drops: string[] = [];
  client.on("drop", (p: any, e: any) => drops.push(p.payload + ":" + e.code));
  client.publish("t", "a", (e: any) => {
    log.push("a:" + (e && e.code));
    boom();
  });
  client.publish("t", "b", (e: any) => log.push("b:" + (e && e.code)));
  // 4 bytes of topic + payload: both go
  throwsBoom(() => client.publish("t", "xyz", (e: any) => log.push("xyz:" + (e && e.code))));
  assert.equal(log, ["a:QUEUE_DROPPED", "b:QUEUE_DROPPED"]);
  assert.equal(drops.slice(-1), ["b:QUEUE_DROPPED"]);
  assert.is(client._q._a.length, 1);
  assert.is(client._q._b, 4);
  client.connect();
  hal.c().h.onOpen();
  take(hal.c());
  hal.c().h.onData(bytes(CONNACK));
  assert.equal(take(hal.c()), ["30060001747879" + "7a"]);
  assert.equal(log, ["a:QUEUE_DROPPED", "b:QUEUE_DROPPED", "xyz:undefined"]);
});

/** Set the rig's wall clock back by `ms` (an NTP sync, Espruino's setTime): its timers run on time. */
function setBack(hal: { clock: { now(): number } }, ms: number): void {
  const n = hal.clock.now;
  hal.clock.now = () => n() - ms;
}

for (const kp of ["SpecKeepalive", "Liveness"]) {
  test(`[MQTT-3.1.2-23] the wall clock set back an hour while the keepalive runs (${kp}): the PINGREQ is still due 10 s after the CONNECT, the ping timeout 10 s later`, () => {
    const { hal, events } = setup({ keepalive: 10, keepalivePolicy: kp == "Liveness" ? new Liveness() : undefined, reconnect: { min: 100, jitter: 0 } });
    hal.clock.advance(4000);
    setBack(hal, 3_600_000);
    hal.clock.advance(5999);
    assert.equal(take(hal.c()), []);
    hal.clock.advance(1);
    assert.equal(take(hal.c()), ["c000"]);
    hal.clock.advance(9999);
    assert.equal(events, []);
    hal.clock.advance(1);
    assert.equal(events, ["error:PING_TIMEOUT", "close", "offline"]);
  });
}

test("the wall clock set back an hour: the ack timeout, the connect timeout and the reconnect backoff still run on time", () => {
  const { hal, client, events } = setup({ keepalive: 0, ackTimeout: 5000, connectTimeout: 3000, reconnect: { min: 1000, jitter: 0 } });
  client.publish("t", "a", { qos: 1 });
  hal.clock.advance(1000);
  setBack(hal, 3_600_000);
  hal.clock.advance(3999);
  assert.equal(events, []);
  hal.clock.advance(1);
  assert.equal(events, ["error:ACK_TIMEOUT", "close", "offline"]);
  setBack(hal, 3_600_000);
  hal.clock.advance(1000);
  assert.is(hal.conns.length, 2, "redialed after the backoff");
  hal.c().h.onOpen();
  setBack(hal, 3_600_000);
  hal.clock.advance(3000);
  assert.equal(events.slice(3), ["reconnect", "error:CONNECT_TIMEOUT", "close"]);
});

test("a 'message' listener or route handler that throws stops none of the later routes for that message (the first error rethrown)", () => {
  const { hal, client } = setup();
  const got: string[] = [];
  client.on("message", () => {
    got.push("event");
    throw new Error("first");
  });
  client.route("a/+", () => {
    got.push("a/+");
    throw new Error("second");
  });
  client.route("#", () => got.push("#"));
  // PUBLISH a/b "1" QoS 1, id 7
  assert.throws(() => hal.c().h.onData(bytes("3208" + "0003612f62" + "0007" + "31")), /first/);
  assert.equal(got, ["event", "a/+", "#"]);
  assert.equal(take(hal.c()), ["40020007"]);
});

test.run();
