/**
 * Espruino hands out a numeric-looking property name ("123", an array index)
 * as a NUMBER: for-in (src/jsparse.c jspeStatementFor -> jsvCopyNameOnly
 * turns an int name into JSV_INTEGER) and Object.keys (src/jswrap_object.c
 * jswrap_object_keys_or_property_names_cb -> jsvAsArrayIndexAndUnLock) alike;
 * every `o[k]` store keeps such a key as an int name (jsvAsArrayIndex).
 * `buildWithEspruinoKeys` bundles a source module with both rewritten to do
 * the same, so that difference can be tested in Node.
 */
import * as assert from "uvu/assert";
import { build } from "esbuild";
import * as acorn from "acorn";
import { fileURLToPath } from "node:url";

/** The key Espruino gives for property name `k`: a canonical array index is a number. */
export function espruinoKey(k: string): string | number {
  return /^(0|[1-9][0-9]{0,8})$/.test(k) ? +k : k;
}

function espruinoKeys(o: object): (string | number)[] {
  return Object.keys(o).map(espruinoKey);
}

const built: { [path: string]: Promise<any> } = {};

/**
 * `src/<path>` bundled (CommonJS exports), every `for (k in o) body` made
 * `for (k in o) { k = espruinoKey(k); body }` and every `Object.keys(o)` its
 * Espruino form. `minRewrites`: how many rewrites the module must have (the
 * test would prove nothing if the code it aims at moved away).
 */
export function buildWithEspruinoKeys(path: string, minRewrites: number): Promise<any> {
  return (built[path] ||= (async () => {
    const entry = fileURLToPath(new URL("../../src/" + path, import.meta.url));
    const out = await build({ entryPoints: [entry], bundle: true, format: "cjs", platform: "neutral", write: false, logLevel: "silent" });
    let code = out.outputFiles[0].text;
    const ast: any = acorn.parse(code, { ecmaVersion: "latest", sourceType: "script" });
    const edits: [number, number, string][] = [];
    (function walk(n: any): void {
      if (n.type === "ForInStatement") {
        const name = n.left.type === "VariableDeclaration" ? n.left.declarations[0].id.name : n.left.name;
        edits.push([n.body.start, n.body.start, "{" + name + "=__espruinoKey(" + name + ");"], [n.body.end, n.body.end, "}"]);
      }
      if (n.type === "MemberExpression" && n.object.type === "Identifier" && n.object.name === "Object" && n.property.name === "keys")
        edits.push([n.start, n.end, "__espruinoKeys"]);
      for (const k of Object.keys(n)) {
        const v = n[k];
        if (Array.isArray(v)) for (const c of v) c && typeof c.type === "string" && walk(c);
        else if (v && typeof v.type === "string") walk(v);
      }
    })(ast);
    assert.ok(edits.length >= minRewrites, path + ": Espruino key rewrites: " + edits.length);
    edits.sort((a, b) => b[0] - a[0]);
    for (const [from, to, s] of edits) code = code.slice(0, from) + s + code.slice(to);
    const module: any = { exports: {} };
    new Function("module", "exports", "__espruinoKey", "__espruinoKeys", code)(module, module.exports, espruinoKey, espruinoKeys);
    return module.exports;
  })());
}
