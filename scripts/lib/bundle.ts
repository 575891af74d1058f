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
/** The tiny profile is its own size-first code path (src/tiny), not a flag set of the core client. */
export const ESPRUINO_TINY_ENTRY = repoPath("src/entry/espruino-tiny.ts");
/** So is the core profile (src/core): the class client (src/client) is built into full bundles and the Node library. */
export const ESPRUINO_CORE_ENTRY = repoPath("src/entry/espruino-core.ts");
const PROFILE_ENTRY: Record<Profile, string> = { tiny: ESPRUINO_TINY_ENTRY, core: ESPRUINO_CORE_ENTRY, full: ESPRUINO_ENTRY };
export const NODE_ENTRY = repoPath("src/entry/node.ts");

/** Compile-time feature flags per profile (see src/features.ts). */
export function profileDefines(profile: Profile): Record<string, string> {
  return {
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
    // firmware built with Unicode strings (Espruino's Linux build); ESP32/ESP8266 strings are bytes
    WREN_UNICODE: String(!!w.features.unicode),
    WREN_DEEP_SLEEP: String(!!w.features.deepSleep),
    WREN_KEEPALIVE: String(d.keepalive),
    WREN_MAX_PACKET: String(d.maxPacketSize),
    WREN_QUEUE_MAX: String(d.queueMax),
    WREN_QUEUE_BYTES: String(d.queueBytes),
    WREN_INFLIGHT_MAX: String(d.inflightMax),
    WREN_BATTERY: JSON.stringify(w.battery || null),
    // the chip's Espruino module (the power HAL's deep sleep and wake reason): 32 ESP32, 8266 ESP8266, 0 none
    WREN_CHIP: String((board.info.builtin_modules || []).indexOf("ESP32") >= 0 ? 32 : (board.info.builtin_modules || []).indexOf("ESP8266") >= 0 ? 8266 : 0),
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

/**
 * Build one Espruino bundle (ES5, minified) in memory, in four steps:
 * 1. esbuild bundles the ESM graph with the profile's defines and folds
 *    constants (`if (V5)` becomes `if (false)` and disappears). Tree shaking
 *    in this pass runs before cross-module constants are folded, so code only
 *    reachable from a dead branch is still present.
 * 2. esbuild bundles that output again: now nothing references the dead code
 *    and tree shaking removes it; it minifies and mangles `_` properties.
 * 3. TypeScript lowers the result to ES5; 4. esbuild minifies it once more.
 *
 * Espruino's `require("net")` must stay a plain call: in ESM output esbuild
 * would turn it into a `__require` shim built on `Proxy`, which Espruino
 * lacks, so `require` is renamed for all the passes and restored at the
 * end. The entry's ES exports become `exports.name = ...` assignments, the
 * module-body form Espruino expects in `Modules.addCached` and Storage modules.
 */
export async function bundleEspruino(opts: EspruinoBundleOptions): Promise<BundleResult> {
  const common = {
    bundle: true,
    write: false,
    format: "esm" as const,
    platform: "neutral" as const,
    target: "es2020",
    legalComments: "none" as const,
    charset: "ascii" as const,
    logLevel: "silent" as const,
  };
  const p1 = await esbuild.build({
    ...common,
    entryPoints: opts.stdin ? undefined : [opts.entry || ESPRUINO_ENTRY],
    stdin: opts.stdin ? { contents: toEsmExports(opts.stdin.contents), resolveDir: opts.stdin.resolveDir, loader: "ts", sourcefile: "entry.ts" } : undefined,
    define: { ...opts.defines, require: REQUIRE_ALIAS },
    minifySyntax: true,
    treeShaking: true,
  });
  const p2 = await esbuild.build({
    ...common,
    stdin: { contents: p1.outputFiles![0].text, loader: "js", sourcefile: "pass1.js" },
    minify: true,
    treeShaking: true,
    mangleProps: opts.mangle === false ? undefined : /^_/,
    reserveProps: /^__.*__$/,
  });
  const warnings = p1.warnings.concat(p2.warnings).map((w) => w.text);
  // (`require` comes back after the last pass: esbuild's cjs output would split
  // `require(tls ? "tls" : "net")` into two calls, 7 bytes more)
  const first = toModuleBody(p2.outputFiles![0].text);
  const lowered = lowerToEs5(first);
  if (lowered.diagnostics.length) throw new Error("ES5 lowering failed: " + lowered.diagnostics.join("; "));
  const min = await esbuild.transform(lowered.code, {
    minify: true,
    treeShaking: true,
    target: "es5",
    format: "cjs",
    charset: "ascii",
    legalComments: "none",
    logLevel: "silent",
  });
  return { code: stripUseStrict(min.code).split(REQUIRE_ALIAS).join("require").trim() + "\n", helpers: lowered.helpers, warnings };
}

const REQUIRE_ALIAS = "__espruino_require__";

/**
 * Inline entries may be written Espruino-style (`exports.a = b;` with `b` an
 * identifier): turn those into ES exports so the graph stays tree-shakable.
 */
function toEsmExports(src: string): string {
  const names: string[] = [];
  const body = src.replace(/\bexports\.(\w+)\s*=\s*([A-Za-z_$][\w$]*)\s*;?/g, (_m, name, id) => {
    names.push(id === name ? id : id + " as " + name);
    return "";
  });
  return names.length ? body + "\nexport { " + names.join(", ") + " };\n" : src;
}

/** `export{a as connect,b as create};` at the end -> `exports.connect=a;exports.create=b;`. */
export function toModuleBody(code: string): string {
  const m = /export\s*\{([^}]*)\};?\s*$/.exec(code);
  if (!m) return code;
  const assigns = m[1]
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const parts = s.split(/\s+as\s+/);
      return "exports." + (parts[1] || parts[0]) + "=" + parts[0] + ";";
    })
    .join("");
  return code.slice(0, m.index) + assigns;
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
  return bundleEspruino({ entry: PROFILE_ENTRY[profile], defines: { ...profileDefines(profile), ...boardDefines(board) }, mangle });
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
