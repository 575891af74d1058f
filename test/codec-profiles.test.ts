/**
 * The codec (src/codec) as the full profile builds it (esbuild with its
 * WREN_* defines, as the full board bundles do), and with V5 off (the 3.1.1
 * build of the class client: no board bundle ships it since the core profile
 * got its own client, but the `if (V5)` gates are still there and must still
 * leave a working 3.1.1 codec): both agree with mqtt-packet. The other codec
 * tests run with every flag on.
 *
 * The tiny and core profiles have no Uint8Array codec: their clients (src/tiny,
 * src/core) write packets as binary strings with src/tiny/packets.ts and read
 * the fields they need themselves (tested in client-tiny, client-core,
 * bundle-duktape and tiny-brokers). Here the tiny packets are checked against
 * mqtt-packet, and in their shipped ES5 form in Duktape.
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
import { connectPacket, packet, str } from "../src/tiny/packets";

/** "3.1.1": V5 and PERSIST off (profileDefines("core")); "full": both on. */
type Profile = "3.1.1" | "full";
const DEFINES: Record<Profile, Record<string, string>> = {
  "3.1.1": { WREN_V5: "false", WREN_PERSIST: "false" },
  full: { WREN_V5: "true", WREN_PERSIST: "true" },
};
const PROFILE_DEFINES: Record<Profile, Record<string, string>> = { "3.1.1": profileDefines("core"), full: profileDefines("full") };
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

const latin1Bytes = (s: string) => new Uint8Array(Buffer.from(s, "latin1"));
const ALL_BYTES = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));

// What the tiny client writes, built with its own functions: [name, binary string, hex, as mqtt-packet parses it].
const tinyOut: [string, string, string, any][] = [
  ["CONNECT", connectPacket("abc", 60), "100f00044d5154540402003c0003616263", { type: 1, protocolVersion: 4, clientId: "abc", clean: true, keepalive: 60 }],
  [
    "CONNECT with username and password",
    connectPacket("c", 10, "u", "pw"),
    "101400044d51545404c2000a0001630001750002" + "7077",
    { type: 1, protocolVersion: 4, clientId: "c", clean: true, keepalive: 10, username: "u", password: "hex:7077" },
  ],
  // a password without a username is not sent [MQTT-3.1.2-22]
  ["CONNECT with a password only", connectPacket("c", 10, undefined, "pw"), "100d00044d5154540402000a000163", { type: 1, protocolVersion: 4, clientId: "c", clean: true, keepalive: 10 }],
  ["PUBLISH QoS 0, retain, binary payload", packet(49, str("a/b") + "\x00\xff"), "3107" + "0003612f62" + "00ff", { type: 3, topic: "a/b", payload: "hex:00ff", qos: 0, retain: true, dup: false }],
  [
    "PUBLISH of all 256 byte values: remaining length 259 = 83 02",
    packet(48, str("t") + ALL_BYTES),
    "308302" + "000174" + Buffer.from(ALL_BYTES, "latin1").toString("hex"),
    { type: 3, topic: "t", payload: "hex:" + Buffer.from(ALL_BYTES, "latin1").toString("hex"), qos: 0, retain: false, dup: false },
  ],
  [
    "SUBSCRIBE, two filters at QoS 0",
    packet(130, "\x00\x01" + str("a/#") + "\0" + str("b") + "\0"),
    "820c0001" + "0003612f2300" + "00016200",
    { type: 8, messageId: 1, subscriptions: [{ topic: "a/#", qos: 0 }, { topic: "b", qos: 0 }] },
  ],
  ["UNSUBSCRIBE", packet(162, "\x00\x02" + str("a/#")), "a2070002" + "0003612f23", { type: 10, messageId: 2, unsubscriptions: ["a/#"] }],
];

test("tiny: the packets the tiny client writes are exact 3.1.1 bytes, as mqtt-packet parses them", () => {
  for (const [name, bin, want, parsed] of tinyOut) {
    assert.is(Buffer.from(bin, "latin1").toString("hex"), want, name);
    assert.equal(canon(mqttParse(latin1Bytes(bin), 4)), [parsed], name);
  }
});

test("tiny: remaining lengths at every variable byte integer boundary [MQTT-2.2.3]", () => {
  for (const [n, head] of [[0, "00"], [127, "7f"], [128, "8001"], [16383, "ff7f"], [16384, "808001"], [2097151, "ffff7f"], [2097152, "80808001"]] as const) {
    const p = packet(0xc0, "x".repeat(n));
    assert.is(Buffer.from(p.slice(0, 1 + head.length / 2), "latin1").toString("hex"), "c0" + head, String(n));
    assert.is(p.length, 1 + head.length / 2 + n, String(n));
  }
});

test("tiny: strings are ASCII: anything else is BAD_STRING (the message does not repeat it)", () => {
  assert.is(str(""), "\0\0");
  assert.is(str("\x7f"), "\0\x01\x7f");
  for (const bad of ["\u00e9", "\x80", "a\u20acb", "\ud83d\ude00"]) {
    assert.throws(() => str(bad), (e: any) => e.code == "BAD_STRING" && e.message == "BAD_STRING", JSON.stringify(bad));
  }
  assert.throws(() => connectPacket("id", 60, "u", "p\u00e4ss"), (e: any) => e.code == "BAD_STRING" && !/ss/.test(e.message));
});

for (const profile of ["3.1.1", "full"] as Profile[]) {
  test(`${profile}: every 3.1.1 sample packet encodes as mqtt-packet parses it and decodes back`, async () => {
    const c = await load(profile);
    const samples = samplePackets(4);
    const bytes = concat(samples.map((p) => (c.encode(p, 4) as Uint8Array).slice()));
    assert.equal(canon(mqttParse(bytes, 4)), canon(samples));
    assert.equal(decodeWith(c, bytes, 4, 3), { packets: canon(samples), errors: [] });
  });
}

test("3.1.1: 5.0 is not built in (properties are neither written nor read)", async () => {
  const c = await load("3.1.1");
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

for (const profile of ["3.1.1", "full"] as Profile[]) {
  test(`${profile}: the ES5 codec as a board bundle builds it passes the ES5 check and runs in Duktape`, async () => {
    const names = ["encodeConnect", "encodePublish", "encodeSubscribe", "encodePingreq", "Decoder"];
    const src = `import {${names.join(",")}} from "./index";\n` + names.map((n) => `exports.${n}=${n};`).join("\n");
    const r = await bundleEspruino({ stdin: { contents: src, resolveDir: path.dirname(INDEX) }, defines: PROFILE_DEFINES[profile] });
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

test("tiny: the shipped ES5 packets pass the ES5 check and give the same bytes in Duktape", async () => {
  const src = `import { connectPacket, packet, str } from "./packets";\nexports.c = connectPacket; exports.p = packet; exports.s = str;`;
  const r = await bundleEspruino({ stdin: { contents: src, resolveDir: fileURLToPath(new URL("../src/tiny/", import.meta.url)) }, defines: profileDefines("tiny") });
  assert.equal(r.helpers, []);
  assert.equal(checkEs5(r.code), []);
  assert.not.match(r.code, /Uint8Array/);
  if (!hasDuk()) {
    if (process.env.CI === "true") assert.unreachable("duk is missing");
    return;
  }
  const script = `
function hex(s) { var r = ""; for (var i = 0; i < s.length; i++) r += (s.charCodeAt(i) < 16 ? "0" : "") + s.charCodeAt(i).toString(16); return r; }
var all = ""; for (var i = 0; i < 256; i++) all += String.fromCharCode(i);
var out = [hex(exports.c("abc", 60)), hex(exports.c("c", 10, "u", "pw")), hex(exports.p(49, exports.s("a/b") + "\\x00\\xff")), hex(exports.p(48, exports.s("t") + all)),
  hex(exports.p(130, "\\x00\\x01" + exports.s("a/#") + "\\0" + exports.s("b") + "\\0")), hex(exports.p(192, new Array(16385).join("x")).substr(0, 4))];
try { exports.s("\\u00e9"); } catch (e) { out.push(e.code + " " + e.message); }
print(JSON.stringify(out));
`;
  const res = runDuk("var exports = {};\n(function (exports) {\n" + r.code + "\n})(exports);\n" + script);
  assert.is(res.stderr, "");
  assert.equal(JSON.parse(res.stdout), [tinyOut[0][2], tinyOut[1][2], tinyOut[3][2], tinyOut[4][2], tinyOut[5][2], "c0808001", "BAD_STRING BAD_STRING"]);
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test.run();
