/**
 * NAT probe wiring (src/client/nat-probe.ts natWire) in the real client on
 * the memory HAL behind a simulated NAT that silently forgets a mapping idle
 * for 200 s: the client learns to ping just often enough, remembers it in
 * storage, and a fresh boot starts from what was learned. Exact times on the
 * virtual clock, pings counted at the broker.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Client } from "../src/client/client";
import { installEmitter } from "../src/client/emitter";
import { Liveness } from "../src/client/liveness";
import { NAT_RECORD, natWire } from "../src/client/nat-probe";
import type { Clock, Transport } from "../src/hal/hal";
import { memoryHal } from "../src/hal/memory";
import { simBroker } from "../scripts/lib/sim-broker";

installEmitter(Client.prototype);
const LAT = 15;
const NAT_IDLE = 200000;

/** A NAT in front of `inner`: a mapping idle for NAT_IDLE ms is gone; later packets either way vanish. */
function nat(inner: Transport, clock: Clock) {
  const n = { drops: 0, transport: undefined as unknown as Transport };
  n.transport = {
    connect(target, h) {
      let last = clock.now();
      let dead = false;
      const touch = () => {
        const now = clock.now();
        if (!dead && now - last >= NAT_IDLE) (dead = true), n.drops++;
        last = now;
      };
      const conn = inner.connect(target, {
        onOpen: () => ((last = clock.now()), h.onOpen()),
        onData: (b) => (touch(), dead || h.onData(b)),
        onClose: (e) => h.onClose(e),
      });
      return { write: (b) => (touch(), dead || conn.write(b)), end: () => conn.end(), destroy: () => conn.destroy() };
    },
  };
  return n;
}

function rig() {
  const hal = memoryHal({ latency: LAT });
  const broker = simBroker(hal.net, hal.clock);
  const n = nat(hal.transport, hal.clock);
  const make = () => {
    const c = new Client(
      { clientId: "s", host: "b", port: 1883, keepalive: 60, reconnect: { min: 1000, max: 1000, jitter: 0 }, keepalivePolicy: new Liveness(0, 5000) },
      { ...hal, transport: n.transport },
    );
    natWire(c as any, 1200);
    const errors: string[] = [];
    c.on("error", (e: any) => errors.push(e.code));
    return { c, errors };
  };
  /** Per connection: the client's ping send times, from its CONNECT [MQTT-3.1.2-23], as intervals. */
  const rounds = () => {
    const out: number[][] = [];
    let at = 0;
    for (const l of broker.log) {
      if (l.dir != 0) continue;
      if (l.type == 1) out.push([]), (at = l.t - LAT); // the client wrote the CONNECT 15 ms before the broker read it
      if (l.type == 12) {
        const cur = out[out.length - 1];
        cur.push(l.t - LAT - at);
        at = l.t - LAT;
      }
    }
    return out;
  };
  return { hal, broker, n, make, rounds };
}

test("learns the NAT idle timeout: grow x1.5, one silent drop, bisect, converge below 200 s", () => {
  const r = rig();
  const { c, errors } = r.make();
  assert.is(c._ka, 1200000); // CONNECT keepalive = the cap: the broker tolerates every interval tried
  c.connect();
  r.hal.clock.advanceTo(2200000);
  // connection 1: 60 90 135 s survive, 203 s is cut (the PINGREQ never reaches the broker)
  // connection 2 (after PING_TIMEOUT): back to 135, then bisect toward 203: 169 186 194 198, then stays
  assert.equal(r.rounds(), [
    [60000, 90000, 135000],
    [135000, 169000, 186000, 194000, 198000, 198000, 198000, 198000, 198000],
  ]);
  assert.equal(errors, ["PING_TIMEOUT"]);
  assert.is(r.n.drops, 1);
  // learned, in storage: good 198 s, ceiling 203 s
  assert.equal(Array.from(r.hal.storage.read(NAT_RECORD)!), [1, 0, 198, 0, 203]);
});

test("a fresh boot starts from the stored interval (no relearning)", () => {
  const r = rig();
  r.hal.storage.write(NAT_RECORD, new Uint8Array([1, 0, 198, 0, 203]));
  const { c, errors } = r.make();
  c.connect();
  r.hal.clock.advanceTo(700000);
  assert.equal(r.rounds(), [[198000, 198000, 198000]]);
  assert.equal(errors, []);
  assert.is(r.n.drops, 0);
});

test("traffic in between teaches nothing: a message received mid-interval keeps the interval", () => {
  const r = rig();
  const { c } = r.make();
  c.subscribe("cmd", { qos: 0 });
  c.connect();
  // a command 30 s before each ping would be due: the NAT mapping was refreshed, no test
  for (let t = 30000; t < 400000; t += 60000) r.hal.clock.setTimer(() => r.broker.publish("cmd", new Uint8Array([1]), 0), t);
  r.hal.clock.advanceTo(400000);
  // (the first from the SUBSCRIBE sent at CONNACK, 30 ms after the CONNECT: the last send)
  assert.equal(r.rounds()[0].slice(0, 3), [60030, 60000, 60000]);
  assert.is(r.hal.storage.read(NAT_RECORD), undefined); // nothing learned, nothing written
});

test.run();
