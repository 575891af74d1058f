/**
 * In-process bundling: esbuild (bundle, tree-shake, minify, mangle `_` props)
 * -> TypeScript transpileModule down to ES5 -> esbuild minify again.
 *
 * Why format "cjs" and not "iife": in an ESM graph esbuild turns every
 * `require("net")` of an external module into a `__require` shim that uses
 * `Proxy` (which Espruino lacks). With "cjs" the Espruino built-in requires
 * stay plain `require("net")` calls and, as the entry has no ES `export`s but
 * assigns to `exports` itself, esbuild adds no export wrapper and no getters.
 * The output is a module body, which is exactly what Espruino expects in
 * `Modules.addCached(name, function(){...})` and in a Storage module file;
 * `check-bundles` wraps it in a function the same way.
 */
import * as esbuild from "esbuild";
import ts from "typescript";
import * as fs from "node:fs";
import * as path from "node:path";
import { repoPath } from "./paths";
import type { Board, Profile } from "./boards";

/** Espruino built-in modules the HAL may require: never bundled. */
export const ESPRUINO_BUILTINS = ["net", "tls", "Storage", "Wifi", "ESP8266", "ESP32", "Flash", "crypto", "http", "dgram", "fs"];

export const ESPRUINO_ENTRY = repoPath("src/entry/espruino.ts");
export const NODE_ENTRY = repoPath("src/entry/node.ts");

/** Compile-time feature flags per profile (see src/features.ts). */
export function profileDefines(profile: Profile): Record<string, string> {
  return {
    WREN_CORE: String(profile !== "tiny"),
    WREN_V5: String(profile === "full"),
    WREN_PERSIST: String(profile === "full"),
  };
}

/**
 * Board constants folded into the bundle (read through src/entry/board.ts,
 * which falls back to defaults when they are not defined, e.g. under tests).
 */
export function boardDefines(board: Board): Record<string, string> {
  const w = board.wren;
  const d = w.defaults;
  return {
    WREN_TLS: String(!!w.features.tls),
    WREN_DEEP_SLEEP: String(!!w.features.deepSleep),
    WREN_KEEPALIVE: String(d.keepalive),
    WREN_MAX_PACKET: String(d.maxPacketSize),
    WREN_QUEUE_MAX: String(d.queueMax),
    WREN_QUEUE_BYTES: String(d.queueBytes),
    WREN_INFLIGHT_MAX: String(d.inflightMax),
    WREN_BATTERY_PIN: JSON.stringify(w.battery ? w.battery.pin : null),
    WREN_BATTERY_DIVIDER: String(w.battery ? w.battery.divider : 0),
  };
}

export interface EspruinoBundleOptions {
  entry?: string;
  /** Entry source given inline (resolved from `resolveDir`), instead of `entry`. */
  stdin?: { contents: string; resolveDir: string };
  defines: Record<string, string>;
  /** Mangle `_`-prefixed property names (default true). */
  mangle?: boolean;
}

export interface BundleResult {
  code: string;
  /** TypeScript helpers (`__assign`, ...) the ES5 lowering had to add. */
  helpers: string[];
  warnings: string[];
}

const TS_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES5,
  module: ts.ModuleKind.CommonJS, // the input is a script (no import/export): nothing is added
  importHelpers: false,
  noEmitHelpers: false,
  removeComments: true,
  downlevelIteration: false,
  useDefineForClassFields: false,
};

/** Lower modern JS to ES5 with TypeScript; returns the code and the helpers it emitted. */
export function lowerToEs5(code: string): { code: string; helpers: string[]; diagnostics: string[] } {
  const out = ts.transpileModule(code, { compilerOptions: TS_OPTIONS, fileName: "bundle.js", reportDiagnostics: true });
  const helpers = Array.from(new Set(Array.from(out.outputText.matchAll(/var (__\w+) = \(this && this\.\1\)/g), (m) => m[1]))).sort();
  const diagnostics = (out.diagnostics || []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  return { code: out.outputText, helpers, diagnostics };
}

/** Build one Espruino bundle (ES5, minified) in memory. */
export async function bundleEspruino(opts: EspruinoBundleOptions): Promise<BundleResult> {
  const r = await esbuild.build({
    entryPoints: opts.stdin ? undefined : [opts.entry || ESPRUINO_ENTRY],
    stdin: opts.stdin ? { contents: opts.stdin.contents, resolveDir: opts.stdin.resolveDir, loader: "ts", sourcefile: "entry.ts" } : undefined,
    bundle: true,
    write: false,
    format: "cjs",
    platform: "neutral",
    target: "es2020",
    minify: true,
    treeShaking: true,
    mangleProps: opts.mangle === false ? undefined : /^_/,
    reserveProps: /^__.*__$/,
    define: opts.defines,
    external: ESPRUINO_BUILTINS,
    legalComments: "none",
    charset: "ascii",
    logLevel: "silent",
    // The entry assigns to Espruino's `exports` on purpose (see above).
    logOverride: { "commonjs-variable-in-esm": "silent" },
  });
  const warnings = r.warnings.map((w) => w.text);
  const first = stripUseStrict(r.outputFiles[0].text);
  const lowered = lowerToEs5(first);
  if (lowered.diagnostics.length) throw new Error("ES5 lowering failed: " + lowered.diagnostics.join("; "));
  const min = await esbuild.transform(lowered.code, {
    minify: true,
    target: "es5",
    format: "cjs",
    charset: "ascii",
    legalComments: "none",
    logLevel: "silent",
  });
  return { code: stripUseStrict(min.code).trim() + "\n", helpers: lowered.helpers, warnings };
}

/** Espruino has no strict mode; the directive is 13 wasted bytes. */
function stripUseStrict(code: string): string {
  return code.replace(/^\s*(["'])use strict\1;?\s*/, "");
}

export interface BuiltBundle {
  board: string;
  profile: Profile;
  file: string;
  bytes: number;
  /** Size without `_` property mangling, for the report. */
  bytesUnmangled: number;
  helpers: string[];
}

export function bundlePath(board: string, profile: Profile): string {
  return repoPath("dist", `${board}-${profile}.js`);
}

/** Build (in memory) the bundle of one board x profile. */
export async function buildBoardBundle(board: Board, profile: Profile, mangle = true): Promise<BundleResult> {
  return bundleEspruino({ defines: { ...profileDefines(profile), ...boardDefines(board) }, mangle });
}

/** Build the Node library: ESM, not minified, every feature. */
export async function buildNode(outFile = repoPath("dist/node/index.js")): Promise<number> {
  const r = await esbuild.build({
    entryPoints: [NODE_ENTRY],
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    minify: false,
    treeShaking: true,
    logLevel: "silent",
  });
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, r.outputFiles[0].text);
  return r.outputFiles[0].contents.length;
}
