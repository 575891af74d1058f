/**
 * Driving the `espruino` package (EspruinoTools) in-process, offline.
 *
 * - The board JSON comes from boards/<id>.json (it is a full Espruino board
 *   JSON), loaded the way `espruino --board file.json` does, so no network
 *   look-up of the board happens and the built-in modules (net, tls, Storage,
 *   Wifi...) are known.
 * - require("wren-mqtt") in the app is resolved by the tool's own local-module
 *   lookup (MODULES_CWD/modules/wren-mqtt.js), so the tool itself emits the
 *   `Modules.addCached("wren-mqtt",function(){...})` line, exactly as it does
 *   for any module; nothing is fetched from espruino.com.
 * - The code is what the tool's `-o out.js` would write; the real upload hands
 *   that same string to the tool's CodeWriter on an open connection.
 *
 * EspruinoTools sets globals (`Espruino`, `$`, `navigator`...): use this from a
 * CLI process, not inside a test runner's process.
 */
import { createRequire } from "node:module";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Board } from "./boards";

/* eslint-disable @typescript-eslint/no-explicit-any */
type EspruinoGlobal = any;
declare const Espruino: EspruinoGlobal;

let ready: Promise<EspruinoGlobal> | undefined;
let quiet = true;
const realLog = console.log;

/** Run `fn` with console.log muted unless verbose: the tool logs every step to stdout. */
async function muted<T>(fn: () => Promise<T>): Promise<T> {
  if (!quiet) return fn();
  console.log = () => {};
  try {
    return await fn();
  } finally {
    console.log = realLog;
  }
}

/** Load EspruinoTools once (its loader prints a line per file: kept quiet unless verbose). */
export function initTool(verbose = false): Promise<EspruinoGlobal> {
  if (!ready) {
    ready = new Promise((resolve) => {
      quiet = !verbose;
      const require = createRequire(import.meta.url);
      const tool = require("espruino");
      // The tool's local-module lookup (plugins/localModules.js) uses a global
      // `fs` that its Node loader never defines.
      const g = globalThis as any;
      if (g.fs === undefined) g.fs = fs;
      if (quiet) console.log = () => {};
      tool.init(() => {
        console.log = realLog;
        const E = (globalThis as any).Espruino;
        // Offline by design: never fetch modules or board files from the web.
        E.Core.Utils.getURL = (url: string, cb: (d?: string) => void) => {
          if (!quiet) realLog("espruino: offline, not fetching " + url);
          cb(undefined);
        };
        // Keep the tool's chatter off stdout unless asked; errors still show.
        E.Core.Notifications = {
          success: (m: string) => verbose && realLog(m),
          info: (m: string) => verbose && realLog(m),
          warning: (m: string) => console.warn("espruino: " + m),
          error: (m: string) => console.error("espruino: " + m),
        };
        resolve(E);
      });
    });
  }
  return ready;
}

/** First line of .bootcde in Storage mode: cache the module from its Storage file. */
export function storageBootPrefix(name = "wren-mqtt"): string {
  return `Modules.addCached(${JSON.stringify(name)},require("Storage").read(${JSON.stringify(name)}));\n`;
}

export interface PrepareOptions {
  board: Board;
  bundle: string;
  app: string;
  storage: boolean;
  moduleName?: string;
  verbose?: boolean;
}

/** Turn bundle + app into the JS the tool sends to the board (same as its `-o` output). */
export async function prepareCode(o: PrepareOptions): Promise<string> {
  const E = await initTool(o.verbose);
  return muted(() => prepare(E, o));
}

async function prepare(E: EspruinoGlobal, o: PrepareOptions): Promise<string> {
  const name = o.moduleName || "wren-mqtt";
  const C = E.Config;
  C.ENV_ON_CONNECT = false; // board given explicitly, as `--board` does
  C.SET_TIME_ON_WRITE = false; // deterministic output
  C.MINIFICATION_LEVEL = "";
  C.MODULE_MINIFICATION_LEVEL = ""; // the bundle is minified already
  C.MODULE_AS_FUNCTION = true;
  C.PRETOKENISE = 0;
  C.BLUETOOTH_LOW_ENERGY = false;
  C.SAVE_ON_SEND = o.storage ? 1 : 0; // 1: app to Storage ".bootcde", then load()
  C.LOAD_STORAGE_FILE = 1;

  // Board JSON, as `espruino --board boards/x.json` loads it.
  const env = E.Core.Env.getData();
  for (const k of Object.keys(env)) delete env[k];
  const json = JSON.parse(JSON.stringify(o.board));
  env.BOARD = o.board.info.name;
  for (const k of Object.keys(json)) env[k] = json[k];
  if (o.storage) {
    // The module lives in Storage: the tool must not inline it into .bootcde.
    env.info.builtin_modules = [...(env.info.builtin_modules || []), name];
  }
  await new Promise((res) => E.callProcessor("boardJSONLoaded", env, res));
  if (o.board.info.binary_version) E.Core.Env.setFirmwareVersion(o.board.info.binary_version);

  // Local module folder holding the bundle.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wren-flash-"));
  try {
    fs.mkdirSync(path.join(dir, C.MODULES_DIR_NAME || "modules"));
    fs.writeFileSync(path.join(dir, C.MODULES_DIR_NAME || "modules", name + ".js"), o.bundle);
    C.MODULES_CWD = dir;

    if (!o.storage) {
      let code: string = await new Promise((res) => E.callProcessor("transformForEspruino", o.app, res));
      if (!code.includes(`Modules.addCached(${JSON.stringify(name)},`)) {
        // The app does not require() the module (or there is no app): cache it anyway,
        // in the same form the tool uses (core/modules.js).
        const body = o.bundle.trim();
        code = `Modules.addCached(${JSON.stringify(name)},function(){${body}${body.includes("//") ? "\n" : ""}});\n` + code;
      }
      return code;
    }
    // Storage: the module as its own Storage file (chunked Storage.write calls
    // made by the tool, as for `--storage name:file`), the app as .bootcde.
    // .bootcde caches the module from Storage first: firmware that does not
    // look up require() names in Storage still finds it, and on ESP32 the
    // module's code is then run from memory-mapped flash.
    const boot = storageBootPrefix(name) + o.app;
    const code: string = await new Promise((res) => E.callProcessor("transformForEspruino", boot, res));
    return E.Core.Utils.getUploadFileCode(name, o.bundle) + "\n" + code;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Send prepared code to a board on `port` (serial path or tcp://host:port) with the tool's writer. */
export async function upload(port: string, code: string, verbose = false, timeoutMs = 60000): Promise<string> {
  const E = await initTool(verbose);
  if (port.startsWith("tcp://")) E.Config.SERIAL_TCPIP = [port];
  // No Bluetooth scanning (as the CLI's --no-ble): its D-Bus client throws on hosts without D-Bus.
  E.Config.BLUETOOTH_LOW_ENERGY = false;
  E.Config.BLUETOOTH_LOW_ENERGY_DBUS = false;
  return muted(() => new Promise((resolve, reject) => {
    let received = "";
    let settled = false;
    const done = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(received);
    };
    const timer = setTimeout(() => {
      done(new Error(`UPLOAD_FAILED: no answer from ${port} within ${timeoutMs / 1000} s`));
      try { E.Core.Serial.close(); } catch { /* closing a dead port */ }
    }, timeoutMs);
    E.Core.Serial.startListening((data: ArrayBuffer) => {
      const u = new Uint8Array(data);
      for (let i = 0; i < u.length; i++) received += String.fromCharCode(u[i]);
    });
    E.Core.Serial.open(
      port,
      (status: unknown) => {
        if (status === undefined) return done(new Error(`UPLOAD_FAILED: cannot open ${port}`));
        E.Core.CodeWriter.writeToEspruino(code, () => {
          setTimeout(() => E.Core.Serial.close(), 500);
        });
      },
      () => done(),
    );
  }));
}
