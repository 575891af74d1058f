/** The link budget (src/client/budget.ts): exact counts, day boundaries, drop and coalesce policies. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Budget, BudgetPolicy } from "../src/client/budget";
import type { PublishPacket } from "../src/codec/packet";

const DAY = 864e5;
const pub = (topic: string, n: number): PublishPacket => ({ type: 3, topic, payload: new Uint8Array(n), qos: 0, retain: false, dup: false });

test("counts bytes and packets per day, reset at the day boundary", () => {
  const b = new Budget(0, BudgetPolicy.DROP, 0);
  b.sent(0, 30, 1);
  b.sent(1000, 2, 1);
  b.received(1050, 2, 1);
  b.received(2000, 8, 2);
  assert.equal([b.tx, b.rx, b.ptx, b.prx, b.day], [32, 10, 2, 3, 0]);
  b.sent(DAY - 1, 4, 1);
  assert.equal([b.tx, b.ptx, b.day], [36, 3, 0]);
  b.sent(DAY, 5, 1);
  assert.equal([b.tx, b.rx, b.ptx, b.prx, b.day], [5, 0, 1, 0, 1]);
  assert.not.ok(b.roll(DAY + 5));
  assert.ok(b.roll(2 * DAY));
  assert.equal([b.tx, b.rx, b.day], [0, 0, 2]);
});

test("offset moves the boundary (local midnight)", () => {
  const b = new Budget(0, BudgetPolicy.DROP, 3600000); // the clock started 1 h after midnight
  assert.not.ok(b.roll(0));
  b.sent(DAY - 3600001, 1, 1);
  assert.is(b.day, 0);
  b.sent(DAY - 3600000, 1, 1);
  assert.is(b.day, 1);
  assert.is(b.tx, 1);
});

test("limit: QoS 0 over budget is refused, QoS 1/2 always allowed", () => {
  const b = new Budget(100, BudgetPolicy.DROP, 0);
  b.sent(0, 60, 2);
  b.received(0, 30, 1);
  assert.ok(b.allow(0, 0, 10)); // exactly 100
  assert.not.ok(b.allow(0, 0, 11));
  assert.ok(b.allow(0, 1, 1000));
  assert.ok(b.allow(0, 2, 1000));
  const p = pub("t", 5);
  assert.is(b.refuse(p), p); // DROP: the publish itself is lost (and reported)
  assert.ok(b.allow(DAY, 0, 100)); // a new day
  assert.not.ok(b.allow(DAY, 0, 101));
  assert.ok(new Budget(0, BudgetPolicy.DROP, 0).allow(0, 0, 1e12)); // 0 = unlimited
});

test("LATEST: keeps the newest per topic, returns the superseded one, flushes on take", () => {
  const b = new Budget(10, BudgetPolicy.LATEST, 0);
  b.sent(0, 10, 1);
  const a1 = pub("a", 1),
    a2 = pub("a", 2),
    c1 = pub("c", 3);
  assert.not.ok(b.allow(1, 0, 3));
  assert.is(b.refuse(a1), undefined);
  assert.is(b.refuse(c1), undefined);
  assert.is(b.refuse(a2), a1);
  assert.ok(b.roll(DAY));
  assert.equal(b.take(), [a2, c1]);
  assert.equal(b.take(), []);
});

test.run();
