/** The memory HAL: virtual clock order, memory network control (chunking, latency, cut, half-open, counters). */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { memoryHal, seededRandom, virtualClock } from "../src/hal/memory/index";
import { simulatedLink, simulatedPower } from "../src/hal/node/sim";
import { nodeHal } from "../src/hal/node/index";
import { monotonicClock } from "../src/hal/node/clock";

function rec(clock: { now(): number }) {
  const log: string[] = [];
  return {
    log,
    handler: {
      onOpen: () => void log.push("open@" + clock.now()),
      onData: (d: Uint8Array) => void log.push("data@" + clock.now() + ":" + Array.from(d).join(".")),
      onClose: (e?: Error) => void log.push("close@" + clock.now() + (e ? ":" + (e as any).code : "")),
    },
  };
}

test("virtual clock: timers run in due order, ties in set order, now() is the due time", () => {
  const c = virtualClock(100);
  const log: string[] = [];
  c.setTimer(() => log.push("b@" + c.now()), 20);
  c.setTimer(() => log.push("a@" + c.now()), 10);
  c.setTimer(() => log.push("b2@" + c.now()), 20);
  const h = c.setTimer(() => log.push("never"), 15);
  c.setTimer(() => {
    log.push("c@" + c.now());
    // A timer set from a callback runs within the same advance when due in the window.
    c.setTimer(() => log.push("d@" + c.now()), 5);
    c.setTimer(() => log.push("late@" + c.now()), 500);
  }, 12);
  c.clearTimer(h);
  c.clearTimer(h); // twice: no-op
  c.setTimer(() => log.push("neg@" + c.now()), -5); // treated as 0
  assert.is(c.advance(30), 7 - 1);
  assert.equal(log, ["neg@100", "a@110", "c@112", "d@117", "b@120", "b2@120"]);
  assert.is(c.now(), 130);
  assert.is(c.pending(), 1);
  assert.is(c.nextDue(), 612);
  assert.ok(c.runNext());
  assert.is(c.now(), 612);
  assert.not.ok(c.runNext());
  assert.throws(() => c.advance(-1));
});

test("virtual clock: runAll stops a timer loop", () => {
  const c = virtualClock();
  const loop = () => void c.setTimer(loop, 1);
  loop();
  assert.throws(() => c.runAll(50), /timer loop/);
});

test("memory net: latency, chunking, FIFO, byte counters", () => {
  const hal = memoryHal({ latency: 5, chunkSize: 3 });
  const r = rec(hal.clock);
  const conn = hal.transport.connect({ host: "b", port: 1883 }, r.handler);
  const p = hal.net.last()!;
  p.onData = () => p.send([9, 8, 7, 6, 5, 4, 3]);
  const buf = new Uint8Array([1, 2, 3]);
  conn.write(buf);
  buf[0] = 99; // copied at write
  assert.equal(r.log, []);
  hal.clock.advance(4);
  assert.equal(r.log, []);
  hal.clock.advance(100);
  assert.equal(r.log, ["open@5", "data@10:9.8.7", "data@10:6.5.4", "data@10:3"]);
  assert.equal(Array.from(p.take()), [1, 2, 3]);
  assert.equal(Array.from(p.take()), []);
  assert.is(p.written, 3);
  assert.is(p.writes, 1);
  assert.is(p.bytesIn, 3);
  assert.is(p.bytesOut, 7);
  assert.is(hal.net.bytesUp, 3);
  assert.is(hal.net.bytesDown, 7);
  p.close();
  hal.clock.advance(5);
  assert.equal(r.log.slice(-1), ["close@109"]);
  conn.write(buf);
  assert.is(p.writes, 1, "writes after close are ignored");
});

test("memory net: cut loses data in flight and reports NET_RESET", () => {
  const hal = memoryHal({ latency: 10 });
  const r = rec(hal.clock);
  hal.transport.connect({ host: "b", port: 1 }, r.handler);
  const p = hal.net.last()!;
  hal.clock.advance(10);
  p.send([1, 2]);
  p.cut();
  hal.clock.advance(50);
  assert.equal(r.log, ["open@10", "close@20:NET_RESET"]);
  assert.is(p.bytesLost, 2);
});

test("memory net: drop() is a silent half-open link: nothing arrives, no close", () => {
  const hal = memoryHal();
  const r = rec(hal.clock);
  const conn = hal.transport.connect({ host: "b", port: 1 }, r.handler);
  const p = hal.net.last()!;
  hal.clock.advance(0);
  p.drop();
  conn.write(new Uint8Array([0xc0, 0])); // PINGREQ into the void
  p.send([0xd0, 0]);
  conn.end(); // the FIN is lost too
  hal.clock.advance(60000);
  assert.equal(r.log, ["open@0"]);
  assert.is(p.bytesIn, 0);
  assert.is(p.written, 2);
  assert.is(p.bytesLost, 4);
  conn.destroy(); // only the client's own timeout can end it
  hal.clock.advance(0);
  assert.equal(r.log, ["open@0", "close@60000"]);
});

test("memory net: autoAccept false keeps connecting; refuse gives NET_REFUSED; onConnect sees every attempt", () => {
  const hal = memoryHal({ autoAccept: false, latency: 2 });
  const seen: number[] = [];
  hal.net.onConnect = (p) => void seen.push(p.target.port);
  const r1 = rec(hal.clock);
  hal.transport.connect({ host: "b", port: 1 }, r1.handler);
  hal.clock.advance(1000);
  assert.equal(r1.log, []);
  assert.is(hal.net.last()!.state, "connecting");
  hal.net.last()!.refuse();
  hal.clock.advance(2);
  assert.equal(r1.log, ["close@1002:NET_REFUSED"]);
  const r2 = rec(hal.clock);
  const c2 = hal.transport.connect({ host: "b", port: 2 }, r2.handler);
  c2.write(new Uint8Array([7])); // before open: held until accepted
  hal.net.last()!.accept();
  hal.clock.advance(2);
  assert.equal(r2.log, ["open@1004"]);
  assert.equal(Array.from(hal.net.last()!.all()), [7]);
  assert.equal(seen, [1, 2]);
});

test("memory net: client end() reaches the server, close completes after the round trip", () => {
  const hal = memoryHal({ latency: 3 });
  const r = rec(hal.clock);
  const conn = hal.transport.connect({ host: "b", port: 1 }, r.handler);
  const p = hal.net.last()!;
  const how: string[] = [];
  p.onClose = (h) => void how.push(h + "@" + hal.clock.now());
  hal.clock.advance(3);
  conn.write(new Uint8Array([0xe0, 0]));
  conn.end();
  hal.clock.advance(100);
  assert.equal(how, ["end@6"]);
  assert.equal(r.log, ["open@3", "close@9"]);
  assert.equal(Array.from(p.all()), [0xe0, 0]);
  assert.ok(p.clientEnded);
});

test("memory storage: counts writes, refuses names outside the contract (1..24 printable ASCII)", async () => {
  const { memoryStorage } = await import("../src/hal/memory/storage");
  const s = memoryStorage();
  s.write("__proto__", new Uint8Array([1]));
  s.write("a", new Uint8Array([1, 2]));
  s.erase("a");
  s.erase("a");
  assert.equal(s.names(), ["__proto__"]);
  assert.is(s.writes, 2);
  assert.is(s.bytesWritten, 3);
  assert.is(s.erases, 1);
  for (const bad of ["", "x".repeat(25), "a b", "é"]) assert.throws(() => s.write(bad, new Uint8Array(1)), (e: any) => e.code === "STORAGE_NAME", JSON.stringify(bad));
});

test("memory HAL: same seed, same jitter sequence", () => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  const xs = [a(), a(), a()];
  assert.equal(xs, [b(), b(), b()]);
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.not.equal(xs, [seededRandom(43)(), 0, 0]);
});

test("simulated power and link record and notify", () => {
  const slept: number[] = [];
  const p = simulatedPower({ battery: 0.5, onDeepSleep: (ms) => slept.push(ms) });
  assert.is(p.battery(), 0.5);
  p.setBattery(0.1);
  assert.is(p.battery(), 0.1);
  assert.is(p.wakeReason(), "power-on");
  p.setWakeReason("deep-sleep");
  assert.is(p.wakeReason(), "deep-sleep");
  p.deepSleep(60000);
  assert.equal(p.sleeps, [60000]);
  assert.equal(slept, [60000]);
  const l = simulatedLink(false);
  const ups: boolean[] = [];
  l.onChange((u) => ups.push(u));
  l.set(false); // no change, no call
  l.set(true);
  l.set(true);
  l.set(false);
  assert.equal(ups, [true, false]);
  assert.is(l.changes, 2);
  assert.is(l.isUp(), false);
});

test("node clock is monotonic and node HAL assembles", async () => {
  const c = monotonicClock();
  const a = c.now();
  const fired = await new Promise<number>((res) => c.setTimer(() => res(c.now()), 5));
  assert.ok(fired >= a);
  let ran = false;
  const h = c.setTimer(() => (ran = true), 1);
  c.clearTimer(h);
  c.clearTimer(undefined);
  await new Promise((r) => setTimeout(r, 10));
  assert.not.ok(ran);
  const hal = nodeHal({ link: simulatedLink() });
  assert.type(hal.transport.connect, "function");
  assert.is(hal.storage, undefined);
  assert.ok(hal.link!.isUp());
});

test.run();
