/**
 * The class client (src/client/client.ts, MQTT 3.1.1) against the broker
 * model of test/support/core-model.ts, on an Espruino-shaped HAL over the
 * model's fake sockets (test/support/class-model.ts): the same random action
 * sequences (fast-check, fixed seed) as test/client-core-model.test.ts:
 * publishes at QoS 0/1/2, subscribes, unsubscribes, clock advances and jumps,
 * network cuts mid-packet either way, broker restarts with and without the
 * session, refused CONNACKs, failed dials, end() and connect() again,
 * listeners that throw or call the client, the broker's bytes in random chunk
 * splits; then the network settles and the same invariants are checked
 * (callbacks once, QoS 1 at least once, QoS 2 exactly once, order per QoS
 * [MQTT-4.6.0], packet ids, the in-flight window, one timer, well-formed
 * bytes, pings within 1.5 keepalives), plus the class client's `drop` event:
 * one per QUEUE_DROPPED.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { checkModel } from "./support/core-model";
import { runClassModel } from "./support/class-model";
import { setup, take, bytes, CONNACK } from "./support/virtual";

/** Known defects the random runs steer clear of (each has its example test below). */
const AVOID: string[] = [];

test("class model: random sequences keep every invariant", () => checkModel((c, a) => runClassModel(c, a, AVOID)));

// ---- defects the random runs found, shrunk to examples (each asserts the correct behaviour) ----

test("class model example: a QUEUE_DROPPED callback that throws still gets its 'drop' event (never silent)", () => {
  const { hal, client } = setup({ queue: { limit: 1 } }, false);
  const drops: string[] = [];
  client.on("drop", (p: any, e: any) => drops.push(p.topic + " " + e.code));
  client.publish("a", "1", { qos: 1 }, () => {
    throw new Error("listener");
  });
  // offline, limit 1: "b" pushes "a" out (drop-oldest)
  assert.throws(() => client.publish("b", "2", { qos: 1 }, () => {}), /listener/);
  assert.equal(drops, ["a QUEUE_DROPPED"]);
  // and "b" stays queued
  client.connect();
  hal.c().h.onOpen();
  take(hal.c());
  hal.c().h.onData(bytes(CONNACK));
  assert.equal(take(hal.c()), ["3206000162000132"]);
});

test("class model example: a queued publish's callback that calls end() within the CONNACK's handling: no 'connect' event after 'end'", () => {
  const { hal, client, events } = setup({}, false);
  client.publish("t", "1", () => client.end());
  client.connect();
  hal.c().h.onOpen();
  take(hal.c());
  hal.c().h.onData(bytes(CONNACK));
  assert.equal(take(hal.c()), ["300400017431", "e000"]);
  assert.equal(events, ["close", "end"]);
  assert.is(client.connected, false);
  assert.is(hal.clock.pending(), 0);
});

test("class model example: the wall clock set forward while connecting (SNTP at boot): the first PINGREQ still comes a keepalive after the CONNECT", () => {
  const { hal, client } = setup({ keepalive: 10 }, false); // connect timeout 30 s
  client.connect();
  const n = hal.clock.now;
  hal.clock.now = () => n() + 1_700_000_000_000; // 1970 -> 2023
  hal.c().h.onOpen();
  take(hal.c());
  hal.c().h.onData(bytes(CONNACK));
  hal.clock.advance(10000);
  // (the timer of the connect timeout was kept: the PINGREQ came at 30 s, past the broker's 15 [MQTT-3.1.2-24])
  assert.equal(take(hal.c()), ["c000"]);
});

test("class model example: the wall clock set forward by less than the connect timeout: the PINGREQ within the keepalive", () => {
  // (the model's shrunk run: keepalive 2 s, connect timeout 3,101 ms, the clock set forward 1,101 ms)
  const { hal, client } = setup({ keepalive: 2, connectTimeout: 3101 }, false);
  client.connect();
  const n = hal.clock.now;
  hal.clock.now = () => n() + 1101;
  hal.c().h.onOpen();
  take(hal.c());
  hal.c().h.onData(bytes(CONNACK));
  hal.clock.advance(2000);
  assert.equal(take(hal.c()), ["c000"]);
});

test.run();
