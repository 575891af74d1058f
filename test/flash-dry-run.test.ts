import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { flash, checkFits, parseFlashArgs, FlashError } from "../scripts/flash";
import { loadBoard } from "../scripts/lib/boards";
import { buildBoardBundle } from "../scripts/lib/bundle";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "wren-flash-test-"));
const APP = 'var mqtt = require("wren-mqtt");\nvar c = mqtt.connect("mqtt://broker.local");\nc.on("connect", function () { console.log("up"); });\n';
const appFile = path.join(tmp, "app.js");
fs.writeFileSync(appFile, APP);

/** Run the flash CLI in its own process (EspruinoTools sets globals). */
function runFlash(args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", "scripts/flash.ts", ...args], { cwd: ROOT, encoding: "utf8", timeout: 60000 });
}

async function errorOf(argv: string[]): Promise<FlashError> {
  try {
    await flash(argv);
  } catch (e) {
    assert.instance(e, FlashError);
    return e as FlashError;
  }
  throw new Error("flash did not fail: " + argv.join(" "));
}

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test("dry run (RAM) contains the tool's Modules.addCached of the exact bundle, then the app", async () => {
  const out = path.join(tmp, "ram.js");
  const r = runFlash(["--board", "esp32", "--profile", "core", "--dry-run", out, appFile]);
  assert.is(r.status, 0, r.stderr);
  const bundle = (await buildBoardBundle(loadBoard("esp32"), "core")).code.trim();
  const sent = fs.readFileSync(out, "latin1");
  // (the tool ends the function on a new line when the code holds "//": a trailing line comment would swallow it)
  const cached = `Modules.addCached("wren-mqtt",function(){${bundle}${bundle.includes("//") ? "\n" : ""}});\n`;
  assert.ok(sent.startsWith(cached), sent.slice(0, 200));
  assert.is(sent.slice(cached.length), APP);
  assert.not.match(sent, /Storage/);
});

test("dry run with --storage writes the bundle to Storage file wren-mqtt and the app to .bootcde", async () => {
  const out = path.join(tmp, "storage.js");
  const r = runFlash(["--board", "esp8266", "--profile", "tiny", "--storage", "--dry-run", out, appFile]);
  assert.is(r.status, 0, r.stderr);
  const bundle = (await buildBoardBundle(loadBoard("esp8266"), "tiny")).code;
  const sent = fs.readFileSync(out, "latin1");
  const chunks = Array.from(sent.matchAll(/require\("Storage"\)\.write\("wren-mqtt",atob\("([A-Za-z0-9+/=]+)"\),(\d+)(?:,(\d+))?\)/g));
  assert.ok(chunks.length >= 1, sent.slice(0, 300));
  assert.is(chunks[0][2], "0");
  assert.is(Number(chunks[0][3]), bundle.length);
  assert.is(chunks.map((m) => Buffer.from(m[1], "base64").toString("latin1")).join(""), bundle);
  const boot = /require\("Storage"\)\.write\("\.bootcde","((?:[^"\\]|\\.)*)",0,(\d+)\);/.exec(sent);
  assert.ok(boot, sent);
  const bootCode = JSON.parse('"' + boot![1] + '"') as string;
  assert.is(bootCode, 'Modules.addCached("wren-mqtt",require("Storage").read("wren-mqtt"));\n' + APP);
  assert.is(Number(boot![2]), bootCode.length);
  assert.ok(sent.trimEnd().endsWith("load()"), sent.slice(-40));
  assert.not.match(sent, /function\(\)\{function/); // the bundle is not inlined into .bootcde
});

test("missing --port without --dry-run is MISSING_PORT", async () => {
  const e = await errorOf(["--board", "esp32", appFile]);
  assert.is(e.code, "MISSING_PORT");
  const r = runFlash(["--board", "esp32", appFile]);
  assert.is(r.status, 1);
  assert.match(r.stderr, "flash: MISSING_PORT: --port is required");
});

test("an unknown board is UNKNOWN_BOARD and lists the known ones", async () => {
  const e = await errorOf(["--board", "esp99", "--port", "/dev/null"]);
  assert.is(e.code, "UNKNOWN_BOARD");
  assert.is(e.message, 'UNKNOWN_BOARD: unknown board "esp99"; known boards: esp32, esp32c3, esp8266, linux, node');
});

test("the node board and a profile the board lacks are refused", async () => {
  assert.is((await errorOf(["--board", "node", "--port", "/dev/null"])).code, "NOT_FLASHABLE");
  const e = await errorOf(["--board", "esp8266", "--profile", "full", "--port", "/dev/null"]);
  assert.is(e.message, 'UNKNOWN_PROFILE: board "esp8266" has no "full" profile; it has: tiny, core');
  assert.is((await errorOf(["--board", "esp32", "--profile", "huge", "--port", "/dev/null"])).code, "UNKNOWN_PROFILE");
  assert.is((await errorOf(["--board", "esp32", "--port", "/dev/null", path.join(tmp, "nope.js")])).code, "APP_NOT_FOUND");
});

test("an app too large for the board's RAM or Storage is TOO_LARGE", () => {
  const b = loadBoard("esp8266");
  const bundle = "x".repeat(1500);
  const big = "y".repeat(8000);
  const ram = parseFlashArgs(["--board", "esp8266", "--port", "p"]);
  // 1600 blocks x 45% = 720 blocks of ~9 chars: 1,500 + 8,000 chars do not fit...
  assert.throws(() => checkFits(b, ram, bundle, big), (e: FlashError) => e.code === "TOO_LARGE" && /variable blocks/.test(e.message));
  // ...1,500 + 3,000 do.
  checkFits(b, ram, bundle, "y".repeat(3000));
  // Storage: 48 pages x 4096 B = 196,608 B.
  const st = parseFlashArgs(["--board", "esp8266", "--port", "p", "--storage"]);
  checkFits(b, st, bundle, big);
  assert.throws(() => checkFits(b, st, bundle, "y".repeat(200000)), (e: FlashError) => e.code === "TOO_LARGE" && /196608 B/.test(e.message));
});

test.run();
