/**
 * The codec as each feature profile builds it (esbuild with the profile's
 * WREN_* defines, as the board bundles do): the tiny profile keeps exact bytes
 * and stream decoding for what it supports and rejects the rest; core and full
 * agree with mqtt-packet. The other codec tests run with every flag on.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as esbuild from "esbuild";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { canon, concat, hex, mqttParse, samplePackets, unhex } from "./support/oracle";
import { bundleEspruino, profileDefines } from "../scripts/lib/bundle";
import { checkEs5 } from "../scripts/lib/es5check";
import { hasDuk, runDuk } from "../scripts/lib/duk";

type Profile = "tiny" | "core" | "full";
const DEFINES: Record<Profile, Record<string, string>> = {
  tiny: { WREN_CORE: "false", WREN_V5: "false", WREN_PERSIST: "false" },
  core: { WREN_CORE: "true", WREN_V5: "false", WREN_PERSIST: "false" },
  full: { WREN_CORE: "true", WREN_V5: "true", WREN_PERSIST: "true" },
};
const INDEX = fileURLToPath(new URL("../src/codec/index.ts", import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wren-codec-"));

async function load(profile: Profile): Promise<any> {
  const out = path.join(dir, profile + ".mjs");
  await esbuild.build({ entryPoints: [INDEX], bundle: true, format: "esm", platform: "neutral", define: DEFINES[profile], outfile: out, logLevel: "error" });
  return import(pathToFileURL(out).href);
}

function decodeWith(c: any, bytes: Uint8Array, v: 4 | 5, size = 0) {
  const packets: any[] = [];
  const errors: string[] = [];
  const d = new c.Decoder(v, 1 << 20, { onPacket: (p: any) => packets.push(canon(p)), onError: (e: any) => errors.push(e.code) }, c.decodeAnyPacket);
  if (!size) d.push(bytes);
  else for (let i = 0; i < bytes.length; i += size) d.push(bytes.slice(i, i + size));
  return { packets, errors };
}

const tinyOut: [string, (c: any) => any, string][] = [
  ["CONNECT", (c) => c.encodeConnect({ type: 1, protocolVersion: 4, clientId: "abc", clean: true, keepalive: 60 }), "100f00044d5154540402003c0003616263"],
  ["CONNECT with username and password", (c) => c.encodeConnect({ type: 1, protocolVersion: 4, clientId: "c", clean: false, keepalive: 10, username: "u", password: new Uint8Array([0x70]) }), "101300044d51545404c0000a0001630001750001" + "70"],
  ["PUBLISH QoS 0, string payload, UTF-8 topic", (c) => c.encodePublish({ type: 3, topic: "é/b", payload: "hi", qos: 0, retain: true, dup: false }, 4), "31080004c3a92f626869"],
  ["SUBSCRIBE", (c) => c.encodeSubscribe({ type: 8, messageId: 1, subscriptions: [{ topic: "a/b", qos: 0 }] }, 4), "82080001000361" + "2f6200"],
  ["UNSUBSCRIBE", (c) => c.encodeUnsubscribe({ type: 10, messageId: 2, unsubscriptions: ["a/b"] }, 4), "a207000200036" + "12f62"],
  ["PINGREQ", (c) => c.encodePingreq(), "c000"],
  ["DISCONNECT", (c) => c.encodeDisconnect(4), "e000"],
];

// what a tiny client receives: CONNACK, PUBLISH, SUBACK, UNSUBACK, PINGRESP
const TINY_IN = "20 02 00 00  30 07 00 03 61 2f 62 68 69  32 08 00 01 74 00 09 c3 a9 00  90 03 00 01 00  b0 02 00 02  d0 00";
const TINY_IN_DECODED = [
  { type: 2, sessionPresent: false, returnCode: 0 },
  { type: 3, topic: "a/b", payload: "hex:6869", qos: 0, retain: false, dup: false },
  { type: 3, topic: "t", payload: "hex:c3a900", qos: 1, retain: false, dup: false, messageId: 9 },
  { type: 9, messageId: 1, granted: [0] },
  { type: 11, messageId: 2 },
  { type: 13 },
];

test("tiny: encoders give the exact 3.1.1 bytes", async () => {
  const c = await load("tiny");
  for (const [name, f, want] of tinyOut) assert.is(hex(f(c)), want, name);
});

test("tiny: decodes CONNACK, PUBLISH, SUBACK, UNSUBACK, PINGRESP in one chunk and in 1-byte chunks", async () => {
  const c = await load("tiny");
  const b = unhex(TINY_IN);
  assert.equal(decodeWith(c, b, 4), { packets: TINY_IN_DECODED, errors: [] });
  assert.equal(decodeWith(c, b, 4, 1), { packets: TINY_IN_DECODED, errors: [] });
  for (let i = 1; i < b.length; i++) {
    const packets: any[] = [];
    const d = new c.Decoder(4, 1 << 20, { onPacket: (p: any) => packets.push(canon(p)), onError: () => assert.unreachable() });
    d.push(b.slice(0, i));
    d.push(b.slice(i));
    assert.equal(packets, TINY_IN_DECODED, `split at ${i}`);
  }
});

test("tiny: rejects what it does not decode and what is malformed", async () => {
  const c = await load("tiny");
  const codes = (h: string, max = 1 << 20) => {
    const errors: string[] = [];
    new c.Decoder(4, max, { onPacket: () => {}, onError: (e: any) => errors.push(e.code) }).push(unhex(h));
    return errors;
  };
  assert.equal(codes("40 02 00 01"), ["BAD_TYPE"]); // PUBACK: QoS 1 is a core feature
  assert.equal(codes("00 00"), ["BAD_TYPE"]);
  assert.equal(codes("d1 00"), ["BAD_FLAGS"]);
  assert.equal(codes("36 05 00 01 74 00 01"), ["BAD_QOS"]);
  assert.equal(codes("20 01 00"), ["MALFORMED"]);
  assert.equal(codes("30 ff ff ff ff 01"), ["BAD_LENGTH"]);
  assert.equal(codes("30 14", 10), ["PACKET_TOO_LARGE"]);
});

for (const profile of ["core", "full"] as Profile[]) {
  test(`${profile}: every 3.1.1 sample packet encodes as mqtt-packet parses it and decodes back`, async () => {
    const c = await load(profile);
    const samples = samplePackets(4);
    const bytes = concat(samples.map((p) => (c.encode(p, 4) as Uint8Array).slice()));
    assert.equal(canon(mqttParse(bytes, 4)), canon(samples));
    assert.equal(decodeWith(c, bytes, 4, 3), { packets: canon(samples), errors: [] });
  });
}

test("core: 5.0 is not built in (properties are neither written nor read)", async () => {
  const c = await load("core");
  const b = c.encodePublish({ type: 3, topic: "t", payload: "x", qos: 0, retain: false, dup: false, properties: { topicAlias: 1 } }, 5);
  assert.is(hex(b), "300400017478");
});

test("full: every 5.0 sample packet encodes as mqtt-packet parses it and decodes back", async () => {
  const c = await load("full");
  // mqtt-packet lacks the short AUTH (f0 00) and misreads a short DISCONNECT (e0 00) followed by more bytes
  const samples = samplePackets(5).filter((p) => !((p.type == 15 || p.type == 14) && !p.reasonCode && !p.properties));
  const bytes = concat(samples.map((p) => (c.encode(p, 5) as Uint8Array).slice()));
  assert.equal(canon(mqttParse(bytes, 5)), canon(samples));
  assert.equal(decodeWith(c, bytes, 5, 3), { packets: canon(samples), errors: [] });
});

// ---- the shipped form: ES5-lowered, minified, `_` props mangled, run in Duktape (ES5) ----

const DUK_SCRIPT = `
function hex(b) { var s = ""; for (var i = 0; i < b.length; i++) s += (b[i] < 16 ? "0" : "") + b[i].toString(16); return s; }
function unhex(h) { h = h.replace(/ /g, ""); var b = new Uint8Array(h.length / 2); for (var i = 0; i < b.length; i++) b[i] = parseInt(h.substr(i * 2, 2), 16); return b; }
var out = [];
out.push(hex(exports.encodeConnect({ type: 1, protocolVersion: 4, clientId: "abc", clean: true, keepalive: 60, username: "u" })));
out.push(hex(exports.encodePublish({ type: 3, topic: "\u00e9/\u20ac", payload: "hi", qos: 0, retain: false, dup: false }, 4)));
out.push(hex(exports.encodePublish({ type: 3, topic: "\u00e9/\u20ac", payload: new Uint8Array([1, 2]), qos: 0, retain: false, dup: false }, 4)));
out.push(hex(exports.encodeSubscribe({ type: 8, messageId: 1, subscriptions: [{ topic: "a/#", qos: 0 }] }, 4)));
out.push(hex(exports.encodePingreq()));
var got = [];
var d = new exports.Decoder(4, 4096, { onPacket: function (p) { got.push(p.type + ":" + (p.topic || "") + ":" + (p.payload ? hex(p.payload) : "")); }, onError: function (e) { got.push("E:" + e.code); } });
var b = unhex("20 02 00 00 30 09 00 06 c3 a9 2f e2 82 ac 41 d0 00");
for (var i = 0; i < b.length; i++) d.push(b.subarray(i, i + 1));
d.push(unhex("00 00"));
out.push(got.join(","));
print(JSON.stringify(out));
`;

const DUK_EXPECTED = [
  "101200044d5154540482003c0003616263000175",
  "300a0006c3a92fe282ac6869",
  "300a0006c3a92fe282ac0102",
  "820800010003612f2300",
  "c000",
  "2::,3:\u00e9/\u20ac:41,13::,E:BAD_TYPE",
];

for (const profile of ["tiny", "core", "full"] as Profile[]) {
  test(`${profile}: the shipped ES5 codec passes the ES5 check and runs in Duktape`, async () => {
    const names = ["encodeConnect", "encodePublish", "encodeSubscribe", "encodePingreq", "Decoder"];
    const src = `import {${names.join(",")}} from "./index";\n` + names.map((n) => `exports.${n}=${n};`).join("\n");
    const r = await bundleEspruino({ stdin: { contents: src, resolveDir: path.dirname(INDEX) }, defines: profileDefines(profile) });
    assert.equal(r.helpers, []);
    assert.equal(checkEs5(r.code), []);
    if (!hasDuk()) {
      if (process.env.CI === "true") assert.unreachable("duk is missing");
      return;
    }
    // wrapped like Espruino wraps a module, so its top-level names stay private
    const res = runDuk("var exports = {};\n(function (exports) {\n" + r.code + "\n})(exports);\n" + DUK_SCRIPT);
    assert.is(res.stderr, "");
    assert.equal(JSON.parse(res.stdout), DUK_EXPECTED.map((x) => JSON.parse('"' + x + '"')));
  });
}

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test.run();
