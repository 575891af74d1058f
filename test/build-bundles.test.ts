import { test } from "uvu";
import * as assert from "uvu/assert";
import { loadBoards } from "../scripts/lib/boards";
import { buildBoardBundle, lowerToEs5 } from "../scripts/lib/bundle";
import { checkEs5 } from "../scripts/lib/es5check";
import { hasDuk, moduleLoadScript, runDuk } from "../scripts/lib/duk";
import { buildCodecBundle, codecScript, ROUND_TRIP_EXPECTED } from "../scripts/check-bundles";
import mqttPacket from "mqtt-packet";

function needDuk(): boolean {
  if (hasDuk()) return true;
  if (process.env.CI === "true") assert.unreachable("duk is required under CI");
  console.warn("!!! duk missing: Duktape evaluation not tested !!!");
  return false;
}

const jobs = loadBoards()
  .filter((b) => b.wren.hal === "espruino")
  .flatMap((b) => b.wren.profiles.map((p) => ({ board: b, profile: p })));

test("there is a bundle for every Espruino board x profile", () => {
  const names = jobs.map((j) => `${j.board.id}-${j.profile}`).sort();
  assert.equal(names, [
    "esp32-core", "esp32-full", "esp32-tiny",
    "esp32c3-core", "esp32c3-full", "esp32c3-tiny",
    "esp8266-core", "esp8266-tiny",
    "linux-core", "linux-full", "linux-tiny",
  ]);
});

test("each bundle parses as ES5, uses nothing Espruino lacks and does not grow past its size ceiling", async () => {
  for (const { board, profile } of jobs) {
    const b = await buildBoardBundle(board, profile);
    const where = `${board.id}-${profile}`;
    assert.equal(checkEs5(b.code), [], where);
    // The budget is the target (`npm run size` fails while it is missed); the
    // ceiling is the size reached so far, so no change may make a bundle bigger.
    const ceiling = Math.min(board.wren.ceilings[profile]!, Infinity);
    assert.ok(ceiling > 0, `${where}: no size ceiling in boards/${board.id}.json`);
    assert.ok(Buffer.byteLength(b.code) <= ceiling, `${where}: ${Buffer.byteLength(b.code)} B > ceiling ${ceiling} B (budget ${board.wren.budgets[profile]} B)`);
    assert.not.match(b.code, /__require|use strict/, where);
  }
});

test("each bundle evaluates as an Espruino module in Duktape and exports connect", async () => {
  if (!needDuk()) return;
  for (const { board, profile } of jobs) {
    const b = await buildBoardBundle(board, profile);
    const r = runDuk(moduleLoadScript(b.code));
    assert.is(r.status, 0, `${board.id}-${profile}: ${r.stderr}`);
    const m = /^exports: (.*)$/m.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.ok(m![1].split(",").includes("connect"), `${board.id}-${profile} exports ${m![1]}`);
  }
});

test("the check rejects new Map()", () => {
  const v = checkEs5("var m = new Map(); m.set(1, 2);");
  assert.equal(v.map((x) => [x.rule, x.detail]), [["global", "Map (not in Espruino)"]]);
});

test("the check rejects a label", () => {
  const v = checkEs5("outer: for (var i = 0; i < 3; i++) { for (;;) { break outer; } }");
  assert.equal(v.map((x) => x.rule), ["label"]);
  assert.is(v[0].pos, 0);
});

test("the check rejects an arrow function (not ES5)", () => {
  const v = checkEs5("var f = (a) => a + 1;");
  assert.is(v.length, 1);
  assert.is(v[0].rule, "es5-syntax");
});

test("the check rejects forbidden static members and globals", () => {
  const v = checkEs5("var a = Array.from(x), b = Number.isInteger(1), c = Object.entries(o), d = Symbol('x'), e = Reflect, f = Object['values'](o);");
  assert.equal(v.map((x) => x.detail), [
    "Array.from (not in Espruino)",
    "Number.isInteger (not in Espruino)",
    "Object.entries (not in Espruino)",
    "Symbol (not in Espruino)",
    "Reflect (not in Espruino)",
    "Object.values (not in Espruino)",
  ]);
});

test("the check accepts getters, property names that look like globals and local shadows", () => {
  const code = "var o = { get size() { return 1; }, Map: 1 }; o.Set = 2; function f(Map) { return new Map(); } Object.keys(o);";
  assert.equal(checkEs5(code), []);
});

test("ES5 lowering reports the helpers it adds", () => {
  const r = lowerToEs5("var a = { ...b, c: 1 }; class K { m() { return 1; } }");
  assert.equal(r.helpers, ["__assign"]);
  assert.equal(checkEs5(r.code), []);
});

test("the expected round-trip bytes are what mqtt-packet generates", () => {
  const p = { cmd: "publish" as const, topic: "wren/t", payload: Buffer.from([1, 2, 3, 255]), qos: 1 as const, retain: true, dup: false, messageId: 10 };
  const v4 = mqttPacket.generate(p).toString("hex");
  const v5 = mqttPacket.generate({ ...p, properties: { contentType: "t" } }, { protocolVersion: 5 }).toString("hex");
  assert.ok(ROUND_TRIP_EXPECTED.includes(`v4 encoded ${v4}\n`), v4);
  assert.ok(ROUND_TRIP_EXPECTED.includes(`v5 encoded ${v5}\n`), v5);
});

test("the codec bundle (ES5, minified, mangled) round-trips a PUBLISH in Duktape", async () => {
  const b = await buildCodecBundle();
  assert.equal(checkEs5(b.code), []);
  if (!needDuk()) return;
  const r = runDuk(codecScript(b.code));
  assert.is(r.stderr, "");
  assert.is(r.stdout.trim(), ROUND_TRIP_EXPECTED);
});

test("the round trip notices a wrong codec", () => {
  if (!needDuk()) return;
  const fake = "exports.encode=function(){return new Uint8Array([48,0])};exports.Decoder=function(){this.push=function(){}};";
  const r = runDuk(codecScript(fake));
  assert.is(r.status, 0);
  assert.is.not(r.stdout.trim(), ROUND_TRIP_EXPECTED);
  assert.match(r.stdout, /^v4 encoded 3000$/m);
});

test.run();
