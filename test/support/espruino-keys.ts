/**
 * Espruino hands out a numeric-looking property name ("123", an array index)
 * as a NUMBER, in for-in and Object.keys alike (scripts/lib/espruino-builtins
 * ESPRUINO_KEYS_DUK says where). `buildWithEspruinoKeys` bundles a source
 * module rewritten the Espruino way by the same rewrite and the same ES5
 * key functions the Duktape bundle tests use, so the difference can be
 * tested in Node.
 */
import * as assert from "uvu/assert";
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import { ESPRUINO_KEYS_DUK, espruinoKeysRewrite } from "../../scripts/lib/espruino-builtins";

// the prelude's own functions, evaluated in Node
const [espruinoKeyFn, espruinoKeysFn] = new Function(ESPRUINO_KEYS_DUK + "return [__espruinoKey, __espruinoKeys];")();

/** The key Espruino gives for property name `k`: a canonical array index is a number. */
export const espruinoKey: (k: string) => string | number = espruinoKeyFn;

const built: { [path: string]: Promise<any> } = {};

/**
 * `src/<path>` bundled (CommonJS exports), every `for (k in o) body` made
 * `for (k in o) { k = __espruinoKey(k); body }` and every `Object.keys(o)` its
 * Espruino form. `minRewrites`: how many edits the module must have, two a
 * for-in and one an Object.keys (the test would prove nothing if the code it
 * aims at moved away).
 */
export function buildWithEspruinoKeys(path: string, minRewrites: number): Promise<any> {
  return (built[path] ||= (async () => {
    const entry = fileURLToPath(new URL("../../src/" + path, import.meta.url));
    const out = await build({ entryPoints: [entry], bundle: true, format: "cjs", platform: "neutral", write: false, logLevel: "silent" });
    const r = espruinoKeysRewrite(out.outputFiles[0].text, "latest");
    assert.ok(2 * r.forIns + r.keys >= minRewrites, path + ": Espruino key rewrites: " + (2 * r.forIns + r.keys));
    const module: any = { exports: {} };
    new Function("module", "exports", "__espruinoKey", "__espruinoKeys", r.code)(module, module.exports, espruinoKeyFn, espruinoKeysFn);
    return module.exports;
  })());
}
