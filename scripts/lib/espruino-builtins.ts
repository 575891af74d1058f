/**
 * Espruino built-in behaviour that Duktape (a complete ES5 engine) does not
 * share, emulated where it can break the bundles (see also ./espruino-regex:
 * the regex engine and Function.apply's 64-argument limit).
 *
 * Array length assignment: Espruino never removes elements when `a.length`
 * is assigned (src/jsvar.c jsvSetArrayLength: "@TODO implement truncation
 * here"; on a board `a = [1, 2, 3, 4]; a.length = 1` leaves `[1, 2, 3, 4,
 * length: 1]`, Espruino issue #163, BangleApps #3101). Function.apply,
 * slice, join... keep using every element. An array property cannot be
 * made to behave like that in Duktape, so the bundle's source is rewritten:
 * every `X.length = Y` becomes `__espruinoSetLength(X, Y)`, which leaves an
 * array untouched and assigns anything else. es5check rejects such
 * assignments at build time as well (rule "length-assign").
 */
import * as acorn from "acorn";

/** ES5 for Duktape: the target of the rewritten length assignments. */
export const ESPRUINO_ARRAY_LENGTH_DUK = `
function __espruinoSetLength(o, v) {
  if (Object.prototype.toString.call(o) != "[object Array]") o.length = v;
  return v;
}
`;

/**
 * ArrayBuffer size: Espruino stores an ArrayBuffer's length in 16 bits, and
 * `new Uint8Array(n)` / `new ArrayBuffer(n)` throw "Invalid length for
 * ArrayBuffer" beyond 65,535 bytes (src/jswrap_arraybuffer.c). Duktape allows
 * more, so the stand-in wraps both constructors (same prototypes, so
 * `instanceof` still holds) to throw the same way.
 */
export const ESPRUINO_ARRAYBUFFER_LIMIT_DUK = `
(function (g) {
  function limited(C) {
    var W = function (a, b, c) {
      if (typeof a == "number" && a > 65535) throw new Error("Invalid length for ArrayBuffer");
      return arguments.length > 2 ? new C(a, b, c) : arguments.length > 1 ? new C(a, b) : arguments.length ? new C(a) : new C();
    };
    W.prototype = C.prototype;
    return W;
  }
  g.Uint8Array = limited(g.Uint8Array);
  g.ArrayBuffer = limited(g.ArrayBuffer);
})(this);
`;

/**
 * Byte strings (ESP32/ESP8266 builds have no Unicode support): every char is
 * 0-255 and String.fromCharCode keeps the low byte of a larger code. For
 * scripts that run a bundle of such a board.
 */
export const ESPRUINO_BYTE_STRINGS_DUK = `
(function (f) {
  String.fromCharCode = function () {
    var a = [];
    for (var i = 0; i < arguments.length; i++) a.push(arguments[i] & 255);
    return f.apply(null, a);
  };
})(String.fromCharCode);
`;

type Node = acorn.Node & Record<string, any>;

/** Parses `code` and calls `visit` on every node of it, parents first. */
function walkCode(code: string, ecmaVersion: acorn.ecmaVersion, visit: (n: Node) => void): void {
  const ast = acorn.parse(code, { ecmaVersion, sourceType: "script", allowReturnOutsideFunction: true }) as Node;
  (function walk(n: Node): void {
    visit(n);
    for (const k of Object.keys(n)) {
      const v = (n as any)[k];
      if (Array.isArray(v)) for (const c of v) c && typeof c.type === "string" && walk(c);
      else if (v && typeof v.type === "string") walk(v);
    }
  })(ast);
}

/** `code` with each [start, end, text] edit (original offsets, not overlapping) applied. */
function applyEdits(code: string, edits: [number, number, string][]): string {
  // from the end, so earlier offsets stay valid; at one offset, a replacement before an insertion
  edits.sort((a, b) => b[0] - a[0] || b[1] - a[1]);
  let out = code;
  for (const [from, to, s] of edits) out = out.slice(0, from) + s + out.slice(to);
  return out;
}

function isLengthTarget(n: Node): boolean {
  if (n.type !== "MemberExpression") return false;
  return n.computed ? n.property.type === "Literal" && n.property.value === "length" : n.property.name === "length";
}

/** Rewrites every `X.length = Y` of `code` into `__espruinoSetLength(X, Y)` (see above). */
export function espruinoArrayLengths(code: string): string {
  const hits: Node[] = [];
  walkCode(code, 5, (n) => {
    if (n.type === "AssignmentExpression" && n.operator === "=" && isLengthTarget(n.left)) hits.push(n);
  });
  // nested ones are not expected in a bundle
  hits.sort((a, b) => b.start - a.start);
  for (let i = 1; i < hits.length; i++)
    if (hits[i - 1].start < hits[i].end) throw new Error("espruinoArrayLengths: nested length assignments");
  return applyEdits(
    code,
    hits.map((h) => [h.start, h.end, "__espruinoSetLength(" + code.slice(h.left.object.start, h.left.object.end) + ", " + code.slice(h.right.start, h.right.end) + ")"]),
  );
}

/**
 * Numeric keys: Espruino hands out a numeric-looking property name ("123",
 * an array index) as a NUMBER, in for-in (src/jsparse.c jspeStatementFor ->
 * jsvCopyNameOnly turns an int name into JSV_INTEGER) and Object.keys
 * (src/jswrap_object.c jswrap_object_keys_or_property_names_cb ->
 * jsvAsArrayIndexAndUnLock) alike: every `o[k]` store keeps such a name as
 * an int (src/jsvar.c jsvAsArrayIndex: digits only, no leading zero, and
 * the same text again once read as a 32-bit int, so "0".."2147483647").
 * `espruinoKeys` rewrites a script so that every for-in body starts with
 * `k = __espruinoKey(k)` and every `Object.keys` is `__espruinoKeys`, the two
 * functions of this prelude (ES5, no RegExp: the stand-in's regex engine is
 * Espruino's and has its own limits).
 */
export const ESPRUINO_KEYS_DUK = `
function __espruinoKey(k) {
  if (typeof k != "string" || !k.length || k.length > 10 || (k.length > 1 && k.charAt(0) == "0")) return k;
  for (var i = 0; i < k.length; i++) if (k.charCodeAt(i) < 48 || k.charCodeAt(i) > 57) return k;
  return +k <= 2147483647 ? +k : k;
}
function __espruinoKeys(o) {
  var a = Object.keys(o);
  for (var i = 0; i < a.length; i++) a[i] = __espruinoKey(a[i]);
  return a;
}
`;

/** What `espruinoKeysRewrite` did: the code, and how many for-in statements and Object.keys it rewrote. */
export interface EspruinoKeysRewrite {
  code: string;
  forIns: number;
  keys: number;
}

/**
 * Rewrites `code` for ESPRUINO_KEYS_DUK: `for (k in o) body` becomes
 * `for (k in o) {k=__espruinoKey(k);body}` (a `const k` becomes `let k`) and
 * `Object.keys` becomes `__espruinoKeys`. `ecmaVersion`: 5 for a bundle,
 * "latest" for esbuild's untransformed output.
 */
export function espruinoKeysRewrite(code: string, ecmaVersion: acorn.ecmaVersion = 5): EspruinoKeysRewrite {
  const edits: [number, number, string][] = [];
  let forIns = 0, keys = 0;
  walkCode(code, ecmaVersion, (n) => {
    if (n.type === "ForInStatement") {
      const decl = n.left.type === "VariableDeclaration" ? n.left : null;
      const id = decl ? decl.declarations[0].id : n.left;
      if (id.type !== "Identifier") throw new Error("espruinoKeys: for-in over " + id.type + " at " + n.start);
      if (decl && decl.kind === "const") edits.push([decl.start, decl.start + 5, "let"]);
      edits.push([n.body.start, n.body.start, "{" + id.name + "=__espruinoKey(" + id.name + ");"], [n.body.end, n.body.end, "}"]);
      forIns++;
    }
    if (n.type === "MemberExpression" && !n.computed && n.object.type === "Identifier" && n.object.name === "Object" && n.property.name === "keys") {
      edits.push([n.start, n.end, "__espruinoKeys"]);
      keys++;
    }
  });
  return { code: applyEdits(code, edits), forIns, keys };
}

/** `code` (ES5) rewritten for ESPRUINO_KEYS_DUK (see espruinoKeysRewrite). */
export function espruinoKeys(code: string): string {
  return espruinoKeysRewrite(code).code;
}
