/**
 * The battery-aware keepalive policy (src/client/liveness.ts) on a virtual
 * clock: a simulated sensor publishes, a simulated broker answers after a
 * fixed round trip (or, after `cutAt`, silently never again), and the policy
 * decides when to ping and when the link is dead. All times exact.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Liveness } from "../src/client/liveness";
import { KeepaliveAction } from "../src/client/keepalive";

interface Sim {
  /** keepalive, liveness, ack timeout, round trip, publish period: ms */
  ka: number;
  lv?: number;
  at: number;
  rtt: number;
  qos: 0 | 1;
  every: number;
  until: number;
  /** from this time on nothing reaches the client any more */
  cutAt?: number;
}
interface Result {
  pings: number[];
  rtts: number[];
  /** time each packet was received */
  received: number[];
  dead: number;
  publishes: number;
}

function simulate(s: Sim): Result {
  const k = new Liveness(s.lv || 0, s.at);
  const r: Result = { pings: [], rtts: [], received: [], dead: -1, publishes: 0 };
  // answers in flight towards the client: [arrival time, packet type]
  const arrivals: [number, number][] = [];
  let nextPub = s.every > 0 ? s.every : Infinity;
  k.start(0, s.ka);
  const answer = (now: number, type: number) => {
    if (s.cutAt == null || now + s.rtt < s.cutAt) arrivals.push([now + s.rtt, type]);
  };
  for (;;) {
    const dl = k.next();
    const ta = arrivals.length ? arrivals[0][0] : Infinity;
    const tt = dl < 0 ? Infinity : dl;
    const now = Math.min(ta, nextPub, tt);
    if (now > s.until) break;
    if (now === ta) {
      const [, type] = arrivals.shift()!;
      r.received.push(now);
      const rtt = k.received(now, type);
      if (rtt >= 0) r.rtts.push(rtt);
    } else if (now === nextPub) {
      nextPub += s.every;
      r.publishes++;
      k.sent(now, s.qos > 0);
      if (s.qos) answer(now, 4 /* PUBACK */);
    } else {
      const a = k.timer(now);
      if (a === KeepaliveAction.DEAD) {
        r.dead = now;
        break;
      }
      if (a === KeepaliveAction.PING) {
        r.pings.push(now);
        k.sent(now);
        answer(now, 13 /* PINGRESP */);
      }
    }
  }
  return r;
}

const DAY = 864e5;

test("QoS 1 every 30 s, keepalive 60 s: zero PINGREQ in 24 h", () => {
  const r = simulate({ ka: 60000, at: 10000, rtt: 50, qos: 1, every: 30000, until: DAY });
  assert.is(r.pings.length, 0);
  assert.is(r.dead, -1);
  assert.is(r.publishes, 2880);
  assert.is(r.received.length, 2879); // the PUBACK of the publish at exactly 24 h lands after it
});

test("QoS 0 every 30 s: exactly one PINGREQ per liveness interval (nothing received)", () => {
  const lv = 300000;
  const r = simulate({ ka: 60000, lv, at: 10000, rtt: 50, qos: 0, every: 30000, until: DAY });
  // first ping lv after CONNACK, then lv after each PINGRESP
  assert.is(r.pings[0], lv);
  for (let i = 1; i < r.pings.length; i++) assert.is(r.pings[i] - r.received[i - 1], lv);
  // 300000 + n * 300050 <= 86400000  =>  n <= 286
  assert.is(r.pings.length, 287);
  assert.is(r.rtts.length, 287);
  assert.ok(r.rtts.every((x) => x === 50));
  assert.is(r.dead, -1);
});

test("QoS 0 with default liveness (= keepalive) pings once per keepalive", () => {
  const r = simulate({ ka: 60000, at: 10000, rtt: 50, qos: 0, every: 30000, until: 3600000 });
  assert.equal(r.pings.slice(0, 3), [60000, 120050, 180100]);
  assert.is(r.pings.length, 59); // 60000 + n * 60050 <= 3600000  =>  n <= 58
});

test("nothing sent: keepalive forces a PINGREQ even with a longer liveness [MQTT-3.1.2-23]", () => {
  const r = simulate({ ka: 60000, lv: 600000, at: 10000, rtt: 50, qos: 0, every: 0, until: 600000 });
  assert.equal(r.pings, [60000, 120000, 180000, 240000, 300000, 360000, 420000, 480000, 540000, 600000]);
});

test("a QoS 0 link that silently stops answering is dead after liveness + ack timeout", () => {
  const lv = 120000,
    at = 5000;
  const r = simulate({ ka: 60000, lv, at, rtt: 50, qos: 0, every: 30000, until: DAY, cutAt: 1000000 });
  const last = r.received[r.received.length - 1];
  // pings at 120000 + n * 120050: the last answered one is n = 7 (960350), its PINGRESP at 960400
  assert.is(last, 960400);
  assert.is(r.dead, last + lv + at);
  assert.is(r.dead, 1085400);
});

test("a QoS 1 publish with no PUBACK: dead exactly ack timeout after it", () => {
  const r = simulate({ ka: 60000, at: 7000, rtt: 50, qos: 1, every: 30000, until: DAY, cutAt: 100000 });
  // publish at 90000 is answered at 90050; the one at 120000 never is
  assert.is(r.received[r.received.length - 1], 90050);
  assert.is(r.dead, 127000);
  assert.is(r.pings.length, 0);
});

test("later traffic keeps a slow answer alive; only silence kills", () => {
  const k = new Liveness(0, 5000);
  k.start(0, 60000);
  k.sent(1000, true); // SUBSCRIBE
  assert.is(k.next(), 6000);
  assert.is(k.received(4000, 3), -1); // a PUBLISH arrives: the link works
  assert.is(k.next(), 9000);
  assert.is(k.timer(8999), KeepaliveAction.NONE);
  assert.is(k.timer(9000), KeepaliveAction.DEAD);
});

test("answers are counted: the link is fine once all are in", () => {
  const k = new Liveness(0, 5000);
  k.start(0, 60000);
  k.sent(100, true);
  k.sent(200, true);
  k.received(300, 4);
  assert.is(k.next(), 5300); // one still owed
  k.received(400, 4);
  assert.is(k.next(), 60200); // all in: back to keepalive after the last send (200) / liveness after the last receive (400)
});

test("keepalive 0 disables pings [MQTT-3.1.2-10]", () => {
  const k = new Liveness(30000, 5000);
  k.start(0, 0);
  assert.is(k.next(), -1);
  assert.is(k.timer(1e9), KeepaliveAction.NONE);
  k.sent(10, true);
  assert.is(k.next(), 5010);
});

test("PINGRESP round trip and a second ping only after the first is answered", () => {
  const k = new Liveness(0, 5000);
  k.start(1000, 60000);
  assert.is(k.next(), 61000);
  assert.is(k.timer(60999), KeepaliveAction.NONE);
  assert.is(k.timer(61000), KeepaliveAction.PING);
  k.sent(61000);
  assert.is(k.next(), 66000); // now only the ack timeout counts
  assert.is(k.received(61234, 13), 234);
  assert.is(k.next(), 121000);
});

test.run();
