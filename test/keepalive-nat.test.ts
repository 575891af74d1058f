/** NAT idle-timeout discovery (src/client/nat-probe.ts) against a simulated NAT. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { NatProbe, NAT_RECORD } from "../src/client/nat-probe";
import { memoryStorage } from "../src/hal/memory/storage";

/** Drive the probe against a NAT that drops mappings idle for >= `timeout` s. */
function learn(p: NatProbe, timeout: number, rounds: number): number[] {
  const tried: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = p.interval();
    tried.push(t);
    if (t < timeout) p.survived();
    else p.dropped();
  }
  return tried;
}

test("grows x1.5, backs off to the last good value after a drop, bisects, converges", () => {
  const st = memoryStorage();
  const p = new NatProbe(st, 60, 3600, 5, 1.5);
  const tried = learn(p, 200, 12);
  // 60 90 135 203(drop) -> back to 135, then bisect (135, 203): 169 186 194 198, all survive;
  // 203 - 198 <= step 5: converged
  assert.equal(tried.slice(0, 5), [60, 90, 135, 203, 135]);
  assert.equal(tried.slice(5, 9), [169, 186, 194, 198]);
  assert.ok(p.converged());
  assert.is(p._g, 198);
  assert.is(p._c, 203);
  // converged: stays at the good value and writes nothing more
  const w = st.writes;
  assert.equal(learn(p, 200, 5), [198, 198, 198, 198, 198]);
  assert.is(st.writes, w);
});

test("never beyond the cap", () => {
  const p = new NatProbe(undefined, 60, 300, 5, 1.5);
  assert.equal(learn(p, 1e9, 8), [60, 90, 135, 203, 300, 300, 300, 300]);
  assert.ok(p.converged());
});

test("a drop at the good value lowers it (the network changed)", () => {
  const p = new NatProbe(undefined, 60, 3600, 5, 1.5);
  learn(p, 1e9, 3); // 60 90 135 survived, trying 203
  p.survived(); // 203 good, now 305
  assert.is(p.interval(), 305);
  p.dropped(); // ceiling 305, back to 203
  assert.is(p.interval(), 203);
  p.dropped(); // 203 itself dropped: good = 203 / 1.5
  assert.is(p.interval(), 135);
  assert.is(p._c, 203);
  // converges again below the new timeout
  learn(p, 150, 20);
  assert.ok(p.converged());
  assert.ok(p._g < 150 && p._c >= 150 && p._c - p._g <= 5, p._g + " " + p._c);
});

test("the learned value persists in one small record and is picked up at boot", () => {
  const st = memoryStorage();
  const p = new NatProbe(st, 60, 3600, 5, 1.5);
  learn(p, 200, 30);
  assert.equal(st.names(), [NAT_RECORD]);
  assert.equal(Array.from(st.read(NAT_RECORD)!), [1, 0, 198, 0, 203]);
  const writes = st.writes;
  assert.ok(writes <= 10, String(writes)); // one per change, bounded by the search
  const q = new NatProbe(st, 60, 3600, 5, 1.5);
  assert.is(q.interval(), 198);
  assert.ok(q.converged());
  // a record of another version or length is ignored
  st.write(NAT_RECORD, new Uint8Array([2, 0, 198, 0, 203]));
  assert.is(new NatProbe(st, 60, 3600, 5, 1.5).interval(), 60);
});

test.run();
