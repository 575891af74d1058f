/**
 * Espruino built-ins that differ from ES5 (scripts/lib/espruino-builtins),
 * run on the real board bundles in Duktape:
 * - an array length assignment drops no element on a board: the esp32 core
 *   and full bundles decode a long topic, then a short one, and the short
 *   topic must not carry the long one's tail;
 * - ArrayBuffers stop at 65,535 bytes: the full bundle (Uint8Array packets)
 *   caps its maximum packet size below that; the core bundle holds packets
 *   as strings and has no such limit, only the board's maximum packet size;
 * - ESP32/ESP8266 strings are bytes: a received character above U+00FF
 *   becomes "?" (core and full), Espruino's Linux build keeps it;
 * - a numeric-looking property name comes out of for-in and Object.keys as a
 *   number (the emulation itself; every Duktape bundle test runs on it, see
 *   test/support/duk-bundle.ts).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { dukBundleScript } from "./support/duk-bundle";
import { hasDuk, runDuk } from "../scripts/lib/duk";
import { buildBoardBundle } from "../scripts/lib/bundle";
import { loadBoard } from "../scripts/lib/boards";
import { ESPRUINO_ARRAY_LENGTH_DUK, ESPRUINO_KEYS_DUK, espruinoArrayLengths, espruinoKeys, espruinoKeysRewrite } from "../scripts/lib/espruino-builtins";
import { checkEs5 } from "../scripts/lib/es5check";


function needDuk(): void {
  if (hasDuk()) return;
  if (process.env.CI === "true") assert.unreachable("duk (Duktape) is not installed (CI=true)");
  throw new Error("duk (Duktape) is not installed: apt-get install duktape");
}

test("emulation: a length assignment leaves an array's elements (as on Espruino), other objects get the property", () => {
  needDuk();
  const src = espruinoArrayLengths('var a = [1, 2, 3, 4], o = {}; a.length = 1; o["length"] = 2; print(a.join(","), o.length, String.fromCharCode.apply(null, [104, 105, 33].concat([])));');
  assert.ok(src.includes("__espruinoSetLength(a, 1)"), src);
  const r = runDuk(ESPRUINO_ARRAY_LENGTH_DUK + src);
  assert.is(r.stderr, "");
  assert.is(r.stdout.trim(), "1,2,3,4 2 hi!");
});

test("emulation: for-in and Object.keys give a numeric-looking name as a number (as on Espruino), other names stay strings", () => {
  needDuk();
  const plain = 'var o = {"123": 1, a: 2}, t = []; for (var k in o) t.push(typeof k); print(t.join(","), Object.keys(o).map(function (k) { return typeof k; }).join(","));';
  const src = espruinoKeys(plain);
  assert.ok(src.includes("{k=__espruinoKey(k);t.push(typeof k);}") && src.includes("__espruinoKeys(o)"), src);
  const r = runDuk(ESPRUINO_KEYS_DUK + src);
  assert.is(r.stderr, "");
  assert.is(r.stdout.trim(), "number,string number,string");
  // without the rewrite, Duktape (like V8) gives strings: the emulation is what differs
  assert.is(runDuk(ESPRUINO_KEYS_DUK + plain).stdout.trim(), "string,string string,string");
  // which names: digits only, no leading zero, up to 2^31 - 1 (src/jsvar.c jsvAsArrayIndex); a one-statement
  // body and a nested for-in keep their meaning; a non-numeric name is the very same string
  const names = ["0", "7", "123", "2147483647", "2147483648", "01", "-1", "1.5", "1e3", " 1", "", "a", "x1"];
  const r2 = runDuk(
    ESPRUINO_KEYS_DUK +
      espruinoKeys(
        "var o = {}, n = " + JSON.stringify(names) + ", out = [];\n" +
          "for (var i = 0; i < n.length; i++) o[n[i]] = i;\n" +
          "for (var k in o) if (1) out.push(typeof k == 'number' ? k : JSON.stringify(k));\n" +
          "var ks = Object.keys(o), same = 0, nest = '';\n" +
          "for (var a in {x: 1}) for (var b in {'5': 1}) nest += typeof a + ' ' + typeof b;\n" +
          "for (var j = 0; j < ks.length; j++) if (ks[j] === out[j] || JSON.stringify(ks[j]) === out[j]) same++;\n" +
          "print(out.join(' ') + ' | ' + nest + ' | ' + same);",
      ),
  );
  assert.is(r2.stderr, "");
  // (Duktape lists array indices first, ascending, then the rest; Espruino keeps a plain object's names in insertion
  // order, src/jsvar.c jsvAddName: the names are inserted in an order both agree on)
  assert.is(r2.stdout.trim(), '0 7 123 2147483647 "2147483648" "01" "-1" "1.5" "1e3" " 1" "" "a" "x1" | string number | 13');
});

test("emulation: the numeric-key rewrite reaches every board bundle's for-in and Object.keys", async () => {
  // (tiny: the resubscription's Object.keys; core: subscribe's filters, the resubscription, the options
  // merges; full: the class client's loops, properties, options)
  const seen: string[] = [];
  for (const profile of ["tiny", "core", "full"] as const) {
    const b = await buildBoardBundle(loadBoard("esp32"), profile);
    const r = espruinoKeysRewrite(b.code);
    seen.push(profile + " " + r.forIns + " " + r.keys);
    assert.not.match(r.code, /\bObject\.keys\b/, profile);
  }
  assert.equal(seen, ["tiny 0 1", "core 4 0", "full 6 0"]);
});

test("es5check rejects .length assignments", () => {
  assert.equal(checkEs5("var a=[];a.length=0").map((v) => v.rule), ["length-assign"]);
  assert.equal(checkEs5("var a=[];a.splice(0)"), []);
});

for (const profile of ["core", "full"] as const) {
  test(`esp32-${profile} bundle in Duktape, Espruino array lengths: a short topic after a long one decodes exactly`, async () => {
    needDuk();
    const b = await buildBoardBundle(loadBoard("esp32"), profile);
    const long = "sensors/long-topic-name", short = "a/b";
    const pub = (t: string, p: string) => JSON.stringify(String.fromCharCode(0x30, 2 + t.length + p.length, 0, t.length) + t + p);
    const driver = `
var log = [];
__standin.net.control.onConnect = function (peer) {
  peer.onData = function (s) {
    var t = s.charCodeAt(0) >> 4;
    if (t == 1) peer.send("\\x20\\x02\\x00\\x00");
    if (t == 8) { peer.send("\\x90\\x03" + s.substr(2, 2) + "\\x00"); peer.send(${pub(long, "1")}); peer.send(${pub(short, "2")}); }
  };
};
var m = exports.connect({ host: "broker", port: 1883, clientId: "dk" });
m.on("connect", function () { m.subscribe("#"); });
// (a binary string in core, a Uint8Array in full: E.toString gives the string of either)
m.on("message", function (topic, payload) { log.push(topic + "=" + E.toString(payload)); });
__standin.run(100);
print(log.join("\\n"));
`;
    const r = runDuk(dukBundleScript(b.code, driver));
    assert.is(r.stderr, "");
    assert.equal(r.stdout.trim().split("\n"), [long + "=1", short + "=2"]);
  });
}

// Publishes of BIG then FITS chars of payload on topic "t" once connected (maxPacketSize MAX);
// the broker logs each PUBLISH's whole length (from its remaining length) and, at the end, the
// bytes still missing of the last one (the stand-in delivers 536-byte chunks).
const BIG_DRIVER = `
var log = [], big = new Array(BIG + 1).join("x"), fits = new Array(FITS + 1).join("y"), left = 0;
try { new Uint8Array(65536); log.push("no limit"); } catch (e) { log.push(e.message); }
__standin.net.control.onConnect = function (peer) {
  peer.onData = function (s) {
    var t = s.charCodeAt(0) >> 4, n = 0, m = 1, i = 1, c;
    if (!left && t == 1) return peer.send("\\x20\\x02\\x00\\x00");
    // a new packet: its whole length from the remaining length
    if (!left) { do { c = s.charCodeAt(i++); n += (c & 127) * m; m *= 128; } while (c > 127); left = i + n; log.push("publish " + left); }
    left -= s.length;
  };
};
var m = exports.connect({ host: "broker", port: 1883, clientId: "dk", maxPacketSize: MAX });
m.on("connect", function () {
  m.publish("t", big, function (err) { log.push("big " + (err ? err.code : "sent")); });
  m.publish("t", fits, function (err) { log.push("fits " + (err ? err.code : "sent")); });
});
m.on("error", function (e) { log.push("error " + e.code); });
__standin.run(100);
log.push("left " + left);
print(log.join("\\n"));
`;

async function bigPublish(profile: "core" | "full", max: number | undefined, big: number, fits: number): Promise<string[]> {
  needDuk();
  const b = await buildBoardBundle(loadBoard("esp32"), profile);
  const vars = `var MAX = ${max}, BIG = ${big}, FITS = ${fits};\n`;
  const r = runDuk(dukBundleScript(b.code, BIG_DRIVER, { before: vars }));
  assert.is(r.stderr, "");
  return r.stdout.trim().split("\n");
}

test("esp32-core bundle in Duktape: the board's maximum packet size (16,384 B) bounds a publish; strings, so no ArrayBuffer limit", async () => {
  // boards/esp32.json maxPacketSize 16,384: 40,000 B is refused; 16,000 B of payload + topic (2 + 1)
  // + fixed header (1 + 2): one PUBLISH of 16,006 bytes
  assert.equal(await bigPublish("core", undefined, 40000, 16000), ["Invalid length for ArrayBuffer", "big PACKET_TOO_LARGE", "fits sent", "publish 16006", "left 0"]);
  // a larger maxPacketSize: 40,000 B goes whole (40,000 + 3 + 1 + 3: 40,007 bytes; 40,003 needs a 3-byte remaining length)
  // and so does 70,000 B, past what an Espruino ArrayBuffer could hold
  assert.equal(await bigPublish("core", 100000, 40000, 70000), ["Invalid length for ArrayBuffer", "big sent", "fits sent", "publish 40007", "publish 70007", "left 0"]);
  // one byte over the maximum: refused; at it: sent
  assert.equal(await bigPublish("core", 16006, 16001, 16000), ["Invalid length for ArrayBuffer", "big PACKET_TOO_LARGE", "fits sent", "publish 16006", "left 0"]);
});

test("esp32-full bundle in Duktape, Espruino ArrayBuffers (<= 65,535 B): maxPacketSize capped at 65,519; a publish over it fails PACKET_TOO_LARGE, the next goes", async () => {
  // the board's 16,384 B as in core
  assert.equal(await bigPublish("full", undefined, 40000, 16000), ["Invalid length for ArrayBuffer", "big PACKET_TOO_LARGE", "fits sent", "publish 16006", "left 0"]);
  // asked for 100,000 B, given 65,519: 70,000 B would need an ArrayBuffer over 65,535 B; 60,000 B goes
  assert.equal(await bigPublish("full", 100000, 70000, 60000), ["Invalid length for ArrayBuffer", "big PACKET_TOO_LARGE", "fits sent", "publish 60007", "left 0"]);
});

// "p/€" (e2 82 ac) with the payload bytes e2 82 ac, then "p/é" (c3 a9) with "1", QoS 0.
// Topics are UTF-8 decoded, payloads are bytes as they came (a string in core, a
// Uint8Array in full). On a Unicode build (UNI) it then publishes "p/€😀" (UTF-8
// e2 82 ac f0 9f 98 80) and "p/" + a lone surrogate, which has no UTF-8 form
// [MQTT-1.5.3-1]: the core client refuses it (BAD_TOPIC), the class client's codec
// sends U+FFFD in its place (src/codec/utf8.ts).
const UNICODE_DRIVER = `
var log = [], codes = function (s) { var h = []; for (var i = 0; i < s.length; i++) h.push((typeof s == "string" ? s.charCodeAt(i) : s[i]).toString(16)); return h.join(" "); };
__standin.net.control.onConnect = function (peer) {
  peer.onData = function (s) {
    var t = s.charCodeAt(0) >> 4;
    if (t == 1) peer.send("\\x20\\x02\\x00\\x00");
    if (t == 8) { peer.send("\\x30\\x0a\\x00\\x05p/\\xe2\\x82\\xac\\xe2\\x82\\xac"); peer.send("\\x30\\x07\\x00\\x04p/\\xc3\\xa91"); }
    if (t == 3) log.push("wire " + codes(s));
  };
};
var m = exports.connect({ host: "broker", port: 1883, clientId: "dk" });
m.on("connect", function () { m.subscribe("p/+"); });
m.on("message", function (topic, payload) {
  log.push(codes(topic) + " | " + codes(payload));
  if (UNI && topic == "p/\\u00e9") {
    m.publish("p/\\u20ac\\ud83d\\ude00", "z");
    m.publish("p/\\ud83d", "z", function (e) { log.push("lone surrogate " + (e ? e.code : "sent")); });
  }
});
__standin.run(100);
print(log.join("\\n"));
`;

for (const profile of ["core", "full"] as const) {
  test(`${profile} bundles, byte-string boards: a received character above U+00FF becomes '?', not its low byte; Latin-1 ones and Unicode builds are exact; payload bytes untouched`, async () => {
    needDuk();
    const esp = await buildBoardBundle(loadBoard("esp32"), profile);
    const linux = await buildBoardBundle(loadBoard("linux"), profile);
    const run = (code: string, bytes: boolean) =>
      runDuk(dukBundleScript(code, UNICODE_DRIVER, { before: "var UNI = " + !bytes + ";\n", byteStrings: bytes }));
    const a = run(esp.code, true);
    assert.is(a.stderr, "");
    // 70 2f 3f: "p/?"; 70 2f e9: "p/é"; the payload e2 82 ac stays three bytes
    assert.equal(a.stdout.trim().split("\n"), ["70 2f 3f | e2 82 ac", "70 2f e9 | 31"]);
    const b = run(linux.code, false);
    assert.is(b.stderr, "");
    assert.equal(b.stdout.trim().split("\n"), [
      "70 2f 20ac | e2 82 ac",
      "70 2f e9 | 31",
      // (a QoS 0 publish completes when written, before the peer reads it)
      "lone surrogate " + (profile == "core" ? "BAD_TOPIC" : "sent"),
      // PUBLISH QoS 0, remaining length 12: topic length 9, "p/" e2 82 ac f0 9f 98 80, "z"
      "wire 30 c 0 9 70 2f e2 82 ac f0 9f 98 80 7a",
      // full: "p/" ef bf bd (U+FFFD) "z"
      ...(profile == "core" ? [] : ["wire 30 8 0 5 70 2f ef bf bd 7a"]),
    ]);
  });
}

test.run();
