/** The hand-written UTF-8 codec against Node's (Buffer / TextDecoder). */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { utf8Decode, utf8Length, utf8Write } from "../src/codec/utf8";
import { unhex } from "./support/oracle";

function enc(s: string): string {
  const b = new Uint8Array(s.length * 3);
  return Buffer.from(b.subarray(0, utf8Write(s, b, 0))).toString("hex");
}

test("encodes any string like Buffer.from(s, 'utf8'), lone surrogates included", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 30 }), fc.string({ unit: fc.integer({ min: 0xd7f0, max: 0xe010 }).map((c) => String.fromCharCode(c)), maxLength: 6 }), (a, b) => {
      const s = a + b + a;
      assert.is(enc(s), Buffer.from(s, "utf8").toString("hex"));
      assert.is(utf8Length(s), Buffer.byteLength(s, "utf8"));
    }),
    { seed: 42, numRuns: 500 },
  );
});

test("decodes what it encodes (no U+0000)", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 30 }).filter((s) => !s.includes("\0")), (s) => {
      const b = Buffer.from(s, "utf8");
      assert.is(utf8Decode(b, 0, b.length), s);
    }),
    { seed: 42, numRuns: 500 },
  );
});

test("rejects exactly the byte strings a fatal TextDecoder rejects, plus U+0000", () => {
  const td = new TextDecoder("utf-8", { fatal: true });
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 8 }), (b) => {
      let want: string | null;
      try {
        want = td.decode(b);
      } catch {
        want = null;
      }
      if (want != null && want.includes("\0")) want = null;
      // TextDecoder drops a leading BOM; we keep it (MQTT does not strip it [MQTT-1.5.3-3])
      if (want != null && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf) want = "\ufeff" + want;
      assert.is(utf8Decode(b, 0, b.length), want);
    }),
    { seed: 42, numRuns: 3000 },
  );
});

for (const [h, name] of [
  ["c0 80", "overlong NUL"],
  ["e0 9f bf", "overlong 3-byte"],
  ["f0 8f bf bf", "overlong 4-byte"],
  ["ed a0 80", "high surrogate"],
  ["ed bf bf", "low surrogate"],
  ["f4 90 80 80", "above U+10FFFF"],
  ["f5 80 80 80", "lead f5"],
  ["e2 82", "truncated"],
  ["80", "lone continuation"],
  ["00", "U+0000"],
] as const)
  test(`rejects ${name} (${h})`, () => {
    const b = unhex(h);
    assert.is(utf8Decode(b, 0, b.length), null);
  });

test("decodes boundary code points U+007F U+0080 U+07FF U+0800 U+FFFF U+10000 U+10FFFF", () => {
  const b = unhex("7f c280 dfbf e0a080 efbfbf f0908080 f48fbfbf");
  assert.is(utf8Decode(b, 0, b.length), "\u007f\u0080\u07ff\u0800\uffff\u{10000}\u{10ffff}");
});

test("decodes a sub-range only", () => {
  const b = unhex("41 42 43 44");
  assert.is(utf8Decode(b, 1, 3), "BC");
});

test.run();
