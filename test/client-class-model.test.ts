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
import fc from "fast-check";
import { TOPICS, FILTERS, type Action, type Cfg } from "./support/core-model";
import { runClassModel } from "./support/class-model";
import { setup, take, bytes, CONNACK } from "./support/virtual";

const SEED = 20240611;
const RUNS = 1000;

const body = fc.oneof({ weight: 6, arbitrary: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 12 }) }, { weight: 1, arbitrary: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 120, maxLength: 200 }) });
const chunks = fc.array(fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 5, max: 300 })), { minLength: 1, maxLength: 4 });
const qos = fc.integer({ min: 0, max: 2 });

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 25, arbitrary: fc.record({ t: fc.constant("pub" as const), qos, topic: fc.nat(TOPICS.length - 1), body, retain: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("sub" as const), filter: fc.nat(FILTERS.length - 1), qos }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("unsub" as const), filter: fc.nat(FILTERS.length - 1) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant("inject" as const), qos, topic: fc.nat(TOPICS.length - 1), body }) },
  { weight: 10, arbitrary: fc.record({ t: fc.constant("open" as const) }) },
  { weight: 20, arbitrary: fc.record({ t: fc.constant("net" as const), chunks }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant("read" as const), n: fc.integer({ min: 1, max: 60 }) }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant("recv" as const), n: fc.integer({ min: 1, max: 60 }), chunks }) },
  { weight: 10, arbitrary: fc.record({ t: fc.constant("tick" as const), ms: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 2500 }) }, { weight: 1, arbitrary: fc.integer({ min: 2500, max: 15000 }) }) }) },
  {
    weight: 5,
    arbitrary: fc.record({ t: fc.constant("cut" as const), c2b: fc.nat(80), b2c: fc.nat(80), err: fc.boolean(), recvFirst: fc.boolean(), chunks }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("restart" as const), keep: fc.constant(true) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("restart" as const), keep: fc.constant(false) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("refuse" as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("dialFail" as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("end" as const), force: fc.boolean(), cb: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("connect" as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("skew" as const), ms: fc.integer({ min: -20000, max: 20000 }) }) },
);

const cfg: fc.Arbitrary<Cfg> = fc.record({
  keepalive: fc.integer({ min: 2, max: 10 }),
  ackTimeout: fc.option(fc.integer({ min: 1000, max: 8000 }), { nil: undefined }),
  window: fc.integer({ min: 1, max: 4 }),
  // mostly bounds nothing reaches; sometimes small ones (the policy is then modelled)
  qLimit: fc.oneof({ weight: 5, arbitrary: fc.constant(1000) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 4 }) }),
  qBytes: fc.oneof({ weight: 5, arbitrary: fc.constant(1e6) }, { weight: 1, arbitrary: fc.integer({ min: 10, max: 300 }) }),
  policy: fc.integer({ min: 0, max: 2 }),
  connectTimeout: fc.integer({ min: 2000, max: 10000 }),
  min: fc.integer({ min: 10, max: 1000 }),
  max: fc.integer({ min: 1000, max: 5000 }),
  jitter: fc.double({ min: 0, max: 1, noNaN: true }),
  random: fc.double({ min: 0, max: 0.999, noNaN: true }),
  throwP: fc.oneof(fc.constant(0), fc.constant(0.1), fc.constant(0.3)),
  seed: fc.nat(),
  hashQos: fc.oneof({ weight: 3, arbitrary: fc.constant(2) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 1 }) }),
  reenter: fc.oneof(fc.constant(0), fc.constant(0.05), fc.constant(0.2)),
});

/** Known defects the random runs steer clear of (each has its example test below). */
const AVOID: string[] = [];

function check(c: Cfg, a: Action[]) {
  const { violations, world } = runClassModel(c, a, AVOID);
  if (violations.length) throw new Error(violations.slice(0, 5).join("\n") + "\nlog tail:\n" + world.log.slice(-25).join("\n"));
}

test("class model: random sequences keep every invariant", () => {
  const seed = Number(process.env.WREN_MODEL_SEED) || SEED;
  const r = fc.check(
    fc.property(cfg, fc.array(action, { maxLength: 80, size: "max" }), (c, a) => check(c, a)),
    { seed, numRuns: Number(process.env.WREN_MODEL_RUNS) || RUNS },
  );
  if (r.failed) {
    const [c, a] = r.counterexample!;
    assert.unreachable(
      `seed ${seed}, path ${r.counterexamplePath}, after ${r.numRuns} runs, shrunk ${r.numShrinks} times:\n` +
        JSON.stringify([c, a]) + "\n" + String((r.errorInstance as any)?.message || r.errorInstance),
    );
  }
});

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
