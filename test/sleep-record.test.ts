/** The deep-sleep session record (src/client/session-record.ts): round trip, corruption, size bound. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { check16, decodeSession, encodeSession, SessionRecord, Entry } from "../src/client/session-record";
import type { PublishPacket, QoS, Subscription } from "../src/codec/packet";
import type { WrenError } from "../src/errors";
import * as fc from "fast-check";

const enc = (s: string) => new TextEncoder().encode(s);
const pub = (topic: string, payload: string, qos: QoS, retain = false, messageId?: number): PublishPacket => {
  const p: PublishPacket = { type: 3, topic, payload: enc(payload), qos, retain, dup: false };
  if (messageId != null) p.messageId = messageId;
  return p;
};

function sample(): SessionRecord {
  return {
    id: 4242,
    inc: [7, 65535],
    out: [
      { p: pub("s/t", "21.5", 1, false, 17), s: 0 },
      { p: pub("s/ü€😀", "x", 2, true, 18), s: 1 },
      { p: pub("ignored", "ignored", 2, false, 19), s: 2 },
    ],
    subs: [
      { topic: "cmd/#", qos: 2 },
      { topic: "cfg/+", qos: 1, nl: true, rap: true, rh: 2 },
      { topic: "new/+", qos: 0, u: true } as Subscription,
    ],
    queue: [{ p: pub("q/a", "", 0) }, { p: pub("q/b", "\u0000\u00ff", 1, true) }],
  };
}

test("check16 is c = c * 31 + byte (mod 2^16)", () => {
  assert.is(check16(enc("123456789"), 9), 0x1035);
  assert.is(check16(new Uint8Array([1, 2, 255]), 3), (31 * 31 + 2 * 31 + 255) & 0xffff);
  assert.is(check16(new Uint8Array([1, 2, 255]), 2), 33);
});

test("round trip keeps every field (and the exact layout)", () => {
  const rej: unknown[] = [];
  const b = encodeSession(sample(), 1024, rej);
  assert.equal(rej, []);
  assert.is(b[0], 2);
  assert.is((b[1] << 8) | b[2], 4242);
  const r = decodeSession(b) as SessionRecord;
  assert.not.ok((r as unknown as WrenError).code);
  assert.is(r.id, 4242);
  assert.equal(r.inc, [7, 65535]);
  assert.is(r.out.length, 3);
  assert.equal(
    r.out.map((e) => [e.s, e.p.qos, e.p.retain, e.p.messageId, e.p.topic, Array.from(e.p.payload)]),
    [
      [0, 1, false, 17, "s/t", Array.from(enc("21.5"))],
      [1, 2, true, 18, "s/ü€😀", [120]],
      [2, 2, false, 19, "", []], // awaiting PUBCOMP: only the id matters
    ],
  );
  assert.equal(r.subs, [
    { topic: "cmd/#", qos: 2, nl: false, rap: false, rh: 0 },
    { topic: "cfg/+", qos: 1, nl: true, rap: true, rh: 2 },
    { topic: "new/+", qos: 0, nl: false, rap: false, rh: 0, u: true }, // SUBACK still owed: sent again
  ]);
  assert.equal(
    r.queue.map((e) => [e.p.topic, e.p.qos, e.p.retain, Array.from(e.p.payload), e.p.messageId]),
    [
      ["q/a", 0, false, [], undefined],
      ["q/b", 1, true, Array.from(enc("\u0000\u00ff")), undefined],
    ],
  );
});

test("compact: an ASCII QoS 1 reading (id < 128) costs 1+1+1+len(topic)+1+len(payload) bytes", () => {
  const empty = encodeSession({ id: 1, inc: [], out: [], subs: [], queue: [] }, 64, []);
  assert.equal(Array.from(empty), [2, 0, 1, 7, 131]); // check (2 * 31 + 0) * 31 + 1 = 0x0783
  const one = encodeSession({ id: 1, inc: [], out: [{ p: pub("s/t", "21.5", 1, false, 1), s: 0 }], subs: [], queue: [] }, 64, []);
  assert.is(one.length - empty.length, 1 + 1 + 1 + 3 + 1 + 4);
  // tag (qos 1 << 2 | kind 1), id, topic as code units, payload
  const body = [2, 0, 1, 5, 1, 3, 115, 47, 116, 4, 50, 49, 46, 53];
  const c = check16(new Uint8Array(body), body.length);
  assert.equal(Array.from(one), [...body, c >> 8, c & 255]);
  // every kind, and varints past one byte: id 300, UTF-16 unit 0x20ac, inc id 65535
  const all = encodeSession(
    {
      id: 0x1234,
      inc: [65535],
      out: [{ p: pub("€", "", 2, true, 300), s: 1 }, { p: pub("x", "y", 2, false, 2), s: 2 }],
      subs: [{ topic: "a", qos: 1, nl: true, rap: true, rh: 2, u: true } as Subscription],
      queue: [{ p: pub("q", "z", 1, true) }],
    },
    64,
    [],
  );
  const body2 = [
    2, 0x12, 0x34,
    0xfc, 0xff, 0x0f, // 65535 * 4
    (2 | 4 | 8) * 4 + 1, 0xac, 0x02, 1, 0xac, 0x41, 0, // PUBREC awaited: id 300, topic "€", empty payload
    (2 | 16) * 4 + 1, 2, // PUBCOMP awaited: only the id
    0xb6, 0x03, 1, 97, // sub: (1 | 4 | 8 | 32 | 64) * 4 + 2 = 438
    (1 | 4) * 4 + 3, 1, 113, 1, 122,
  ];
  const c2 = check16(new Uint8Array(body2), body2.length);
  assert.equal(Array.from(all), [...body2, c2 >> 8, c2 & 255]);
});

test("every single-byte corruption and every truncation is rejected", () => {
  const b = encodeSession(sample(), 1024, []);
  for (let i = 0; i < b.length; i++) {
    for (const x of [1, 0x80, 0xff]) {
      const c = b.slice();
      c[i] ^= x;
      const r = decodeSession(c) as WrenError;
      assert.is(r.code, "SESSION_CORRUPT", "byte " + i + " ^ " + x);
    }
  }
  for (let n = 0; n < b.length; n++) assert.is((decodeSession(b.subarray(0, n)) as WrenError).code, "SESSION_CORRUPT", "torn at " + n);
  const r = decodeSession(new Uint8Array(0)) as WrenError;
  assert.is(r.code, "SESSION_CORRUPT");
  assert.instance(r, Error);
});

test("a string longer than the rest of the record is corrupt, also with a valid check", () => {
  // one subscription "ab": 2 0 1 | tag 2, length 2, 'a' 'b' | check
  const b = encodeSession({ id: 1, inc: [], out: [], subs: [{ topic: "ab", qos: 0 }], queue: [] }, 64, []);
  assert.equal(Array.from(b.subarray(0, 7)), [2, 0, 1, 2, 2, 97, 98]);
  for (const len of [3, 100]) {
    const c = b.slice();
    c[4] = len; // says more code units than the record holds
    const n = c.length - 2, k = check16(c, n);
    c[n] = k >> 8;
    c[n + 1] = k & 255;
    assert.is((decodeSession(c) as WrenError).code, "SESSION_CORRUPT", "length " + len);
  }
});

test("a payload whose length takes a 4-byte varint (2 MiB) round-trips byte for byte", () => {
  const n = 1 << 21;
  const pl = new Uint8Array(n);
  for (let i = 0; i < n; i++) pl[i] = (i * 7 + 3) & 255;
  const rej: unknown[] = [];
  const b = encodeSession({ id: 1, inc: [], out: [], subs: [], queue: [{ p: { ...pub("t", "", 0), payload: pl } }] }, n + 64, rej);
  assert.equal(rej, []);
  // tag (kind 3), topic "t", length 2^21 as 80 80 80 01, then the payload
  assert.equal(Array.from(b.subarray(3, 12)), [3, 1, 116, 0x80, 0x80, 0x80, 1, 3, 10]);
  assert.is(b.length, 3 + 1 + 2 + 4 + n + 2);
  const r = decodeSession(b) as SessionRecord;
  assert.not.ok((r as unknown as WrenError).code);
  assert.ok(Buffer.from(r.queue[0].p.payload).equals(Buffer.from(pl)));
});

test("an item ending right at the bound is kept; one byte less rejects it whole", () => {
  const s: SessionRecord = { id: 1, inc: [], out: [], subs: [], queue: [{ p: pub("ab", "\u0001\u0002\u0003", 0) }] };
  const full = encodeSession(s, 100, []);
  assert.is(full.length, 3 + 1 + 3 + 4 + 2);
  let rej: unknown[] = [];
  assert.equal(Array.from(encodeSession(s, full.length, rej)), Array.from(full));
  assert.equal(rej, []);
  rej = [];
  assert.equal(Array.from(encodeSession(s, full.length - 1, rej)), [2, 0, 1, 7, 131]);
  assert.equal(rej, [s.queue[0]]);
  // a payload far past the buffer: rejected, the record stays valid
  rej = [];
  const big = encodeSession({ ...s, queue: [{ p: { ...pub("ab", "", 0), payload: new Uint8Array(500) } }] }, 20, rej);
  assert.equal(Array.from(big), [2, 0, 1, 7, 131]);
  assert.is(rej.length, 1);
});

test("size bound: what does not fit is reported, in order, and the rest round-trips", () => {
  const s = sample();
  const full = encodeSession(s, 1024, []);
  // room for everything but the last queued message
  const lastQ = 1 + 1 + 3 + 1 + 3; // flags, topic "q/b", payload (U+00FF is 2 bytes of UTF-8)
  let rej: unknown[] = [];
  let b = encodeSession(s, full.length - 1, rej);
  assert.equal(rej, [s.queue[1]]);
  assert.is(b.length, full.length - lastQ);
  let r = decodeSession(b) as SessionRecord;
  assert.is(r.queue.length, 1);
  assert.is(r.out.length, 3);

  // too small for the second in-flight message: it and all after it in its section are rejected,
  // (order is kept: a later, smaller one is not saved ahead of it); later sections still fill
  rej = [];
  const upTo1 = 3 + 1 + 3 + (1 + 1 + 1 + 3 + 1 + 4); // header, inc ids 7 and 65535 (as varints of id * 4), first out
  b = encodeSession(s, upTo1 + 2 + 2 + 10, rej);
  r = decodeSession(b) as SessionRecord;
  assert.is(r.out.length, 1);
  assert.ok(rej.indexOf(s.out[1]) >= 0 && rej.indexOf(s.out[2]) >= 0);
  assert.ok(b.length <= upTo1 + 14);
  // every item is either saved or rejected
  const saved = r.out.length + r.subs.length + r.queue.length + r.inc.length;
  assert.is(saved + rej.length, 2 + 3 + 3 + 2);

  // tiny bound: header only, everything rejected, still a valid record
  rej = [];
  b = encodeSession(s, 5, rej);
  assert.is(rej.length, 10);
  r = decodeSession(b) as SessionRecord;
  assert.equal([r.id, r.inc, r.out, r.subs, r.queue], [4242, [], [], [], []]);
});

test("property: random sessions round-trip and stay within the bound", () => {
  const arbPub = fc.record({
    topic: fc.string({ maxLength: 20, unit: "binary" }),
    payload: fc.uint8Array({ maxLength: 200 }),
    qos: fc.constantFrom(0, 1, 2) as fc.Arbitrary<QoS>,
    retain: fc.boolean(),
    messageId: fc.integer({ min: 1, max: 65535 }),
  });
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 65535 }),
      fc.array(fc.integer({ min: 1, max: 65535 }), { maxLength: 5 }),
      fc.array(fc.record({ m: arbPub, s: fc.constantFrom(0, 1, 2) }), { maxLength: 6 }),
      fc.array(arbPub, { maxLength: 6 }),
      fc.integer({ min: 5, max: 1500 }),
      (id, inc, out, queue, max) => {
        const rec: SessionRecord = {
          id,
          inc,
          out: out.map((o) => ({ p: { type: 3, dup: false, ...o.m } as PublishPacket, s: o.s })),
          subs: [],
          queue: queue.map((m) => ({ p: { type: 3, dup: false, ...m } as PublishPacket })),
        };
        const rej: unknown[] = [];
        const b = encodeSession(rec, max, rej);
        if (b.length > max) return false;
        const r = decodeSession(b) as SessionRecord;
        if ((r as unknown as WrenError).code) return false;
        const n = r.inc.length + r.out.length + r.queue.length;
        if (n + rej.length !== inc.length + out.length + queue.length) return false;
        const same = (a: Entry, e: Entry, inflight: boolean) =>
          (inflight && e.s === 2) ||
          (a.p.topic === e.p.topic && a.p.qos === e.p.qos && a.p.retain === e.p.retain && Buffer.from(a.p.payload).equals(Buffer.from(e.p.payload)));
        return (
          r.inc.every((x, i) => x === inc[i]) &&
          r.out.every((e, i) => e.s === rec.out[i].s && e.p.messageId === rec.out[i].p.messageId && same(e, rec.out[i], true)) &&
          r.queue.every((e, i) => same(e, rec.queue[i], false))
        );
      },
    ),
    { numRuns: 300 },
  );
});

test.run();
