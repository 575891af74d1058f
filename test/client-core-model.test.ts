/**
 * The core profile's client (src/core) against a broker model: random
 * action sequences (fast-check, fixed seed) of publishes at QoS 0/1/2,
 * subscribes, clock advances, network cuts mid-packet either way, broker
 * restarts with and without the session, refused CONNACKs, end() and
 * connect() again, and listeners that throw, with the broker's bytes in
 * random chunk splits; then the network settles and the invariants of
 * test/support/core-model.ts are checked (callbacks once, QoS 1 at least
 * once, QoS 2 exactly once, order per QoS [MQTT-4.6.0], packet ids, the
 * in-flight window, one timer, well-formed bytes on the wire).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runModel, checkModel } from "./support/core-model";
import { coreRig as rig, connRig as conn, pubHex, uncaught, type CoreRig, bounce } from "./support/core-rig";

/** Known defects the random runs steer clear of (each has its example test below). */
const AVOID: string[] = [];

test("core model: random sequences keep every invariant", () => checkModel((c, a) => runModel(c, a, AVOID)));

// ---- defects the random runs found, shrunk to examples (each asserts the correct behaviour) ----

test("core model example: end() with a 'close' listener that throws still fails what waited (ENDED), emits 'end' and calls its callback", () => {
  const r = conn({ clean: false });
  const log: string[] = [];
  r.c.publish("a", "1", { qos: 1 }, (e: any) => log.push("a " + (e && e.code)));
  r.s().take();
  r.c.on("close", () => {
    throw new Error("listener");
  });
  uncaught(() => r.c.end(() => log.push("end callback")));
  assert.equal(log, ["a ENDED", "end callback"]);
  assert.equal(r.events, ["close", "end"]);
  assert.is(r.timers(), 0);
  // and nothing of before end() goes on the next connection
  r.c.connect();
  assert.equal(r.up(true), []);
});

test("core model example: end() with an 'end' listener that throws still calls its callback", () => {
  const r = conn({ clean: false });
  const log: string[] = [];
  r.c.on("end", () => {
    throw new Error("listener");
  });
  uncaught(() => r.c.end(() => log.push("end callback")));
  assert.equal(log, ["end callback"]);
  assert.is(r.timers(), 0);
});

test("core model example: a QUEUE_DROPPED callback that throws does not keep the other drops' callbacks from running", () => {
  const r = rig({ clean: false, queue: { limit: 10, bytes: 10 } });
  const log: string[] = [];
  const cb = (t: string) => (e: any) => {
    log.push(t + " " + (e && e.code));
    if (t == "a") throw new Error("listener");
  };
  r.c.publish("a", "123", { qos: 1 }, cb("a")); // 4 bytes queued
  r.c.publish("b", "456", { qos: 1 }, cb("b")); // 8
  // 8 more: both older ones go (drop-oldest), each reported once
  uncaught(() => r.c.publish("c", "1234567", { qos: 1 }, cb("c")));
  assert.equal(log, ["a QUEUE_DROPPED", "b QUEUE_DROPPED"]);
  r.c.connect();
  assert.equal(r.up(), ["320c0001630001" + "31323334353637"]);
});

test("core model example: a QoS 1 PUBLISH is delivered even when its id is one of a QoS 2 message awaiting PUBREL (the class client does)", () => {
  // the QoS 2 message's PUBREC is lost with the connection; the broker had lost the session and
  // made a new one from a CONNECT whose CONNACK never came: the next CONNACK says "present",
  // and the new session numbers its messages from 1 again
  const r = conn({ clean: false });
  r.s().data(pubHex("t", "01", 2, 1));
  assert.equal(r.s().take(), ["50020001"]);
  assert.equal(bounce(r, true), []);
  r.s().data(pubHex("t", "02", 1, 1));
  assert.equal(r.s().take(), ["40020001"]);
  assert.equal(r.msgs, ["t=01", "t=02"]);
});

test("core model example: the resubscription of a new session, when resent, still goes before what was sent after it (an unsubscribe stays done)", () => {
  const r = conn({ clean: false });
  r.c.subscribe("x"); // id 1
  r.s().data("9003000100");
  r.s().take();
  const log: string[] = [];
  r.c.unsubscribe("x", (e: any) => log.push("unsub " + (e && e.code))); // id 2, not yet acknowledged
  assert.equal(r.s().take(), ["a20500020001" + "78"]);
  // the broker lost the session: x subscribed again first (id 3), then the UNSUBSCRIBE again
  assert.equal(bounce(r, false), ["820600030001" + "7800", "a20500020001" + "78"]);
  // lost again before any answer: x again (id 4), then the rest in the order first sent:
  // SUBSCRIBE 3 before UNSUBSCRIBE 2, else the broker ends up subscribed to x
  assert.equal(bounce(r, false), ["820600040001" + "7800", "820600030001" + "7800", "a20500020001" + "78"]);
  r.s().data("9003000400" + "9003000300" + "b0020002");
  assert.equal(log, ["unsub undefined"]);
  // unsubscribed: a new session subscribes nothing
  assert.equal(bounce(r, false), []);
});

test("core model example: end() before the resubscription's SUBACK: the next connection subscribes again, even with session present", () => {
  // session present: the broker made the session from the CONNECT of the connection ended,
  // it never got (or never kept) the SUBSCRIBE
  const r = conn({ clean: false });
  r.c.subscribe("x");
  r.s().data("9003000100");
  assert.equal(bounce(r, false), ["820600020001" + "7800"]);
  r.c.end();
  r.c.connect();
  assert.equal(r.up(true), ["820600030001" + "7800"]);
});

test("core model example: the wall clock set back by less than the keepalive: the PINGREQ still comes within the keepalive (by the timers)", () => {
  const r = conn({ keepalive: 2 }); // CONNECT at 0
  r.skew(-1100);
  r.clock.advance(2000);
  // (now at 3,100 ms: past the broker's 1.5 keepalives [MQTT-3.1.2-24])
  assert.equal(r.s().take(), ["c000"]);
});

test("core model example: the wall clock set back while the timer runs to an ack timeout: the PINGREQ still comes within the keepalive", () => {
  const r = conn({ keepalive: 2, ackTimeout: 1100 }); // CONNECT at 0
  r.c.subscribe("x"); // at 0: the timer runs to its ack timeout (1,100)
  r.skew(-1100);
  r.s().data("9003000100");
  r.s().take();
  r.clock.advance(2000);
  assert.equal(r.s().take(), ["c000"]);
});

test.run();
