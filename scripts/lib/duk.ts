/**
 * Running bundles in Duktape (`duk`), an ES5 engine close enough to
 * Espruino's feature set to catch what a browser or Node would hide.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ESPRUINO_APPLY_LIMIT_DUK, ESPRUINO_REGEX_DUK } from "./espruino-regex";
import { ESPRUINO_ARRAYBUFFER_LIMIT_DUK } from "./espruino-builtins";

export function hasDuk(): boolean {
  const r = spawnSync("duk", ["-e", "print(1)"], { encoding: "utf8" });
  return !r.error && r.status === 0;
}

export interface DukResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run one script in a fresh `duk` process. */
export function runDuk(script: string): DukResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wren-duk-"));
  const file = path.join(dir, "run.js");
  try {
    fs.writeFileSync(file, script);
    const r = spawnSync("duk", [file], { encoding: "utf8", timeout: 20000 });
    if (r.error) throw r.error;
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Stand-ins for what Espruino provides, enough for a bundle to be evaluated
 * (module top level) without a board: `require` of the built-in modules,
 * `E`, timers and `getTime`. Calls are recorded, never performed. RegExps
 * run on a port of Espruino's own engine (module top-level code uses them),
 * Function.apply takes at most 64 arguments and an ArrayBuffer at most
 * 65,535 bytes, as on a board.
 */
export const ESPRUINO_PRELUDE = ESPRUINO_REGEX_DUK + ESPRUINO_APPLY_LIMIT_DUK + ESPRUINO_ARRAYBUFFER_LIMIT_DUK + `
var __required = [];
function __noop() { return __noop; }
function __mod(names) { var o = {}; for (var i = 0; i < names.length; i++) o[names[i]] = __noop; return o; }
var __mods = {
  net: __mod(["connect", "createServer"]),
  tls: __mod(["connect"]),
  Storage: __mod(["read", "readArrayBuffer", "write", "erase", "list", "getFree", "open"]),
  Wifi: __mod(["on", "connect", "disconnect", "getStatus", "getIP", "setConfig", "turbo"]),
  ESP8266: __mod(["deepSleep", "getState", "setCPUFreq"]),
  ESP32: __mod(["deepSleep", "getState", "setSleepMode", "reboot"]),
  Flash: __mod(["read", "write", "erasePage"]),
  crypto: __mod(["SHA1", "SHA256"])
};
var require = function (m) {
  __required.push(m);
  if (Object.prototype.hasOwnProperty.call(__mods, m)) return __mods[m];
  throw new Error("Module " + m + " not found");
};
var E = __mod(["on", "toString", "toUint8Array", "getTemperature", "reboot", "deepSleep", "setDeepSleep", "getAnalogVRef", "hwRand"]);
var process = { env: { BOARD: "DUK", VERSION: "2v25" }, memory: function () { return { free: 1000, total: 2000 }; } };
function getTime() { return 0; }
function setTimeout() { return 1; }
function setInterval() { return 2; }
function clearTimeout() {}
function clearInterval() {}
function analogRead() { return 0.5; }
function deepSleep() {}
`;

/** Script that evaluates a bundle as an Espruino module and prints its export names. */
export function moduleLoadScript(bundle: string): string {
  return (
    ESPRUINO_PRELUDE +
    "var exports = {}; var module = { exports: exports };\n" +
    "(function (exports, module, require) {\n" +
    bundle +
    "\n})(exports, module, require);\n" +
    'print("exports: " + Object.keys(module.exports === exports ? exports : module.exports).sort().join(","));\n' +
    'print("required: " + __required.sort().join(","));\n'
  );
}
