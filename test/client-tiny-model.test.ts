/**
 * The tiny profile's client (src/tiny) against the broker model of
 * test/support/core-model.ts: random action sequences (fast-check, fixed
 * seed) of QoS 0 publishes (ASCII topics, bad ones too, byte payloads),
 * subscribes and unsubscribes (arrays too), the broker's bytes in random
 * chunk splits, cuts mid-packet either way, broker restarts, refused
 * CONNACKs, failed dials, clock advances, wall-clock jumps, end() and
 * connect(), and listeners that throw or call the client; then the network
 * settles and the invariants of test/support/tiny-model.ts are checked.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { tinyRig as rig, espruinoHost, CONNACK } from "./support/tiny-rig";
import { tinyClient } from "../src/tiny/client";
import { installEmitter } from "../src/client/emitter";
import { runTiny, TTOPICS, TFILTERS, ITOPICS, type TinyAction, type TinyCfg } from "./support/tiny-model";

const SEED = 20240612;
const RUNS = 600;

const body = fc.oneof({ weight: 6, arbitrary: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 12 }) }, { weight: 1, arbitrary: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 120, maxLength: 200 }) });
const chunks = fc.array(fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 5, max: 300 })), { minLength: 1, maxLength: 4 });
const filters = fc.array(fc.oneof({ weight: 4, arbitrary: fc.nat(8) }, { weight: 1, arbitrary: fc.nat(TFILTERS.length - 1) }), { minLength: 0, maxLength: 3 });

const action: fc.Arbitrary<TinyAction> = fc.oneof(
  { weight: 25, arbitrary: fc.record({ t: fc.constant("pub" as const), topic: fc.oneof({ weight: 6, arbitrary: fc.nat(5) }, { weight: 1, arbitrary: fc.nat(TTOPICS.length - 1) }), body, retain: fc.boolean(), form: fc.nat(2) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("sub" as const), filters, arr: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("unsub" as const), filters, arr: fc.boolean() }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant("inject" as const), qos: fc.constant(0), topic: fc.nat(ITOPICS.length - 1), body }) },
  { weight: 10, arbitrary: fc.record({ t: fc.constant("open" as const) }) },
  { weight: 20, arbitrary: fc.record({ t: fc.constant("net" as const), chunks }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant("read" as const), n: fc.integer({ min: 1, max: 60 }) }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant("recv" as const), n: fc.integer({ min: 1, max: 60 }), chunks }) },
  { weight: 10, arbitrary: fc.record({ t: fc.constant("tick" as const), ms: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 2500 }) }, { weight: 1, arbitrary: fc.integer({ min: 2500, max: 40000 }) }) }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant("cut" as const), c2b: fc.nat(80), b2c: fc.nat(80), err: fc.boolean(), recvFirst: fc.boolean(), chunks }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("restart" as const), keep: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("refuse" as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("dialFail" as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("end" as const), force: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("connect" as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("skew" as const), ms: fc.integer({ min: -20000, max: 20000 }) }) },
);

const cfg: fc.Arbitrary<TinyCfg> = fc.record({
  keepalive: fc.integer({ min: 2, max: 10 }),
  min: fc.integer({ min: 10, max: 1000 }),
  max: fc.integer({ min: 1000, max: 5000 }),
  // 0: the `|| 1` floor; else at least 0.1 (min x random >= 1 ms)
  random: fc.oneof(fc.constant(0), fc.double({ min: 0.1, max: 0.999, noNaN: true })),
  throwP: fc.oneof(fc.constant(0), fc.constant(0.1), fc.constant(0.3)),
  seed: fc.nat(),
  reenter: fc.oneof(fc.constant(0), fc.constant(0.05), fc.constant(0.2)),
});

/** Known defects the random runs steer clear of (each has its example test below). */
// (a filter named "__proto__": the clients keep filters as an object's keys, which cannot
// hold that one; documented in the README's known limits, not fixed)
const AVOID: string[] = ["proto"];

function check(c: TinyCfg, a: TinyAction[]) {
  const { violations, world } = runTiny(c, a, AVOID);
  if (violations.length) throw new Error(violations.slice(0, 5).join("\n") + "\nlog tail:\n" + world.log.slice(-25).join("\n"));
}

test("tiny model: random sequences keep every invariant", () => {
  const seed = Number(process.env.WREN_MODEL_SEED) || SEED;
  const r = fc.check(fc.property(cfg, fc.array(action, { maxLength: 80, size: "max" }), (c, a) => check(c, a)), { seed, numRuns: Number(process.env.WREN_MODEL_RUNS) || RUNS });
  if (r.failed) {
    const [c, a] = r.counterexample!;
    assert.unreachable(`seed ${seed}, path ${r.counterexamplePath}, after ${r.numRuns} runs, shrunk ${r.numShrinks} times:\n` + JSON.stringify([c, a]) + "\n" + String((r.errorInstance as any)?.message || r.errorInstance));
  }
});

// ---- defects the random runs found (or the model pointed at), shrunk to examples; each asserts the correct behaviour ----

test("tiny model example: an unsubscribe that throws BAD_STRING changes nothing: the filters before the bad one stay subscribed", () => {
  const r = rig({ reconnect: { min: 10 } }, 1);
  r.c.subscribe("a/+");
  r.c.connect();
  assert.equal(r.up().slice(1), ["82080001" + "0003612f2b" + "00"]);
  assert.throws(() => r.c.unsubscribe(["a/+", "\u00e9/x"]), (e: any) => e.code == "BAD_STRING");
  assert.equal(r.s().take(), []); // nothing sent: the broker keeps a/+
  r.s().fire("close");
  r.clock.advance(10);
  // so the next connection subscribes a/+ again, as the broker had it
  assert.equal(r.up().slice(1), ["82080002" + "0003612f2b" + "00"]);
});

/** A tiny client with keepalive `ka` s on the Espruino-like host (whose clock the test can set back). */
function skewRig(ka: number) {
  const h = espruinoHost(0.5);
  const c: any = tinyClient({ host: "h", port: 1883, clientId: "c", keepalive: ka }, h.dial, h.now, h.setTimer, h.clearTimer, h.random);
  installEmitter(c);
  return { c, h };
}

test("tiny model example: the wall clock set back between CONNECT and CONNACK: the first PINGREQ still comes within the keepalive (by the timers)", () => {
  const { c, h } = skewRig(2);
  c.connect();
  h.s().onOpen(); // CONNECT at 0
  h.s().take();
  h.skew(-1101);
  h.s().data(CONNACK);
  h.clock.advance(2000);
  // (else it comes at 3,101 ms: past the broker's 1.5 keepalives [MQTT-3.1.2-24])
  assert.equal(h.s().take(), ["c000"]);
});

test.run();
