/**
 * Espruino built-ins that differ from ES5 (scripts/lib/espruino-builtins):
 * an array length assignment drops no element on a board. The real esp32-core
 * bundle decodes a long topic, then a short one, in Duktape with that
 * behaviour emulated: the short topic must not carry the long one's tail.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ESPRUINO_STANDIN_DUK } from "./support/espruino-standin";
import { hasDuk, runDuk } from "../scripts/lib/duk";
import { buildBoardBundle } from "../scripts/lib/bundle";
import { loadBoard } from "../scripts/lib/boards";
import { ESPRUINO_ARRAY_LENGTH_DUK, ESPRUINO_BYTE_STRINGS_DUK, espruinoArrayLengths } from "../scripts/lib/espruino-builtins";
import { checkEs5 } from "../scripts/lib/es5check";

// Espruino gives every object on/emit; Duktape does not.
const OBJECT_EVENTS = `
Object.defineProperty(Object.prototype, "on", { value: function (ev, fn) { var k = "#on" + ev; if (!this[k]) Object.defineProperty(this, k, { value: [], writable: true }); this[k].push(fn); return this; } });
Object.defineProperty(Object.prototype, "emit", { value: function (ev) { var l = this["#on" + ev], a = Array.prototype.slice.call(arguments, 1); if (l) for (var i = 0; i < l.length; i++) l[i].apply(this, a); } });
`;

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

test("es5check rejects .length assignments", () => {
  assert.equal(checkEs5("var a=[];a.length=0").map((v) => v.rule), ["length-assign"]);
  assert.equal(checkEs5("var a=[];a.splice(0)"), []);
});

test("esp32-core bundle in Duktape, Espruino array lengths: a short topic after a long one decodes exactly", async () => {
  needDuk();
  const b = await buildBoardBundle(loadBoard("esp32"), "core");
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
m.on("message", function (topic, payload) { log.push(topic + "=" + E.toString(payload)); });
__standin.run(100);
print(log.join("\\n"));
`;
  const code = espruinoArrayLengths(b.code);
  const script = ESPRUINO_STANDIN_DUK + OBJECT_EVENTS + ESPRUINO_ARRAY_LENGTH_DUK + "var exports = {};\n(function (exports) {\n" + code + "\n})(exports);\n" + driver;
  const r = runDuk(script);
  assert.is(r.stderr, "");
  assert.equal(r.stdout.trim().split("\n"), [long + "=1", short + "=2"]);
});

test("esp32-core bundle in Duktape, Espruino ArrayBuffers (<= 65,535 B): a 40,000-byte publish fails PACKET_TOO_LARGE, the next goes", async () => {
  needDuk();
  const b = await buildBoardBundle(loadBoard("esp32"), "core");
  const driver = `
var log = [], big = new Array(40001).join("x"), fits = new Array(16001).join("y");
try { new Uint8Array(65536); log.push("no limit"); } catch (e) { log.push(e.message); }
__standin.net.control.onConnect = function (peer) {
  peer.onData = function (s) {
    var t = s.charCodeAt(0) >> 4;
    if (t == 1) peer.send("\\x20\\x02\\x00\\x00");
    else log.push("wire " + s.length);
  };
};
var m = exports.connect({ host: "broker", port: 1883, clientId: "dk" });
m.on("connect", function () {
  // the board's maximum packet size is 16,384 bytes (boards/esp32.json)
  m.publish("t", big, function (err) { log.push("big " + (err ? err.code : "sent")); });
  m.publish("t", fits, function (err) { log.push("fits " + (err ? err.code : "sent")); });
});
__standin.run(100);
print(log.join("\\n"));
`;
  const script = ESPRUINO_STANDIN_DUK + OBJECT_EVENTS + "var exports = {};\n(function (exports) {\n" + b.code + "\n})(exports);\n" + driver;
  const r = runDuk(script);
  assert.is(r.stderr, "");
  // 16,000 bytes of payload + topic (2 + 1) + fixed header (1 + 2): one PUBLISH of 16,006 bytes, in 536-byte chunks
  const out = r.stdout.trim().split("\n");
  assert.equal(out.slice(0, 3), ["Invalid length for ArrayBuffer", "big PACKET_TOO_LARGE", "fits sent"]);
  assert.is(out.slice(3).reduce((n, l) => n + +l.split(" ")[1], 0), 16006);
});

// "p/€" (e2 82 ac) then "p/é" (c3 a9), QoS 0, payload "1"
const UNICODE_DRIVER = `
var log = [];
__standin.net.control.onConnect = function (peer) {
  peer.onData = function (s) {
    var t = s.charCodeAt(0) >> 4;
    if (t == 1) peer.send("\\x20\\x02\\x00\\x00");
    if (t == 8) { peer.send("\\x30\\x08\\x00\\x05p/\\xe2\\x82\\xac1"); peer.send("\\x30\\x07\\x00\\x04p/\\xc3\\xa91"); }
  };
};
var m = exports.connect({ host: "broker", port: 1883, clientId: "dk" });
m.on("connect", function () { m.subscribe("p/+"); });
m.on("message", function (topic) { var h = []; for (var i = 0; i < topic.length; i++) h.push(topic.charCodeAt(i).toString(16)); log.push(h.join(" ")); });
__standin.run(100);
print(log.join("\\n"));
`;

test("byte-string boards: a received character above U+00FF becomes '?', not its low byte; Latin-1 ones and Unicode builds are exact", async () => {
  needDuk();
  const esp = await buildBoardBundle(loadBoard("esp32"), "core");
  const linux = await buildBoardBundle(loadBoard("linux"), "core");
  const run = (code: string, bytes: boolean) =>
    runDuk(ESPRUINO_STANDIN_DUK + OBJECT_EVENTS + (bytes ? ESPRUINO_BYTE_STRINGS_DUK : "") + "var exports = {};\n(function (exports) {\n" + code + "\n})(exports);\n" + UNICODE_DRIVER);
  const a = run(esp.code, true);
  assert.is(a.stderr, "");
  // 70 2f 3f: "p/?"; 70 2f e9: "p/é"
  assert.equal(a.stdout.trim().split("\n"), ["70 2f 3f", "70 2f e9"]);
  const b = run(linux.code, false);
  assert.is(b.stderr, "");
  assert.equal(b.stdout.trim().split("\n"), ["70 2f 20ac", "70 2f e9"]);
});

test.run();
