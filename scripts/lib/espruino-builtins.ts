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

function isLengthTarget(n: Node): boolean {
  if (n.type !== "MemberExpression") return false;
  return n.computed ? n.property.type === "Literal" && n.property.value === "length" : n.property.name === "length";
}

/** Rewrites every `X.length = Y` of `code` into `__espruinoSetLength(X, Y)` (see above). */
export function espruinoArrayLengths(code: string): string {
  const ast = acorn.parse(code, { ecmaVersion: 5, sourceType: "script", allowReturnOutsideFunction: true }) as Node;
  const hits: Node[] = [];
  (function walk(n: Node): void {
    if (n.type === "AssignmentExpression" && n.operator === "=" && isLengthTarget(n.left)) hits.push(n);
    for (const k of Object.keys(n)) {
      const v = (n as any)[k];
      if (Array.isArray(v)) for (const c of v) c && typeof c.type === "string" && walk(c);
      else if (v && typeof v.type === "string") walk(v);
    }
  })(ast);
  // from the end, so earlier offsets stay valid; nested ones are not expected in a bundle
  hits.sort((a, b) => b.start - a.start);
  let out = code;
  for (let i = 0; i < hits.length; i++) {
    const h = hits[i];
    if (i && hits[i - 1].start < h.end) throw new Error("espruinoArrayLengths: nested length assignments");
    const obj = code.slice(h.left.object.start, h.left.object.end);
    const val = code.slice(h.right.start, h.right.end);
    out = out.slice(0, h.start) + "__espruinoSetLength(" + obj + ", " + val + ")" + out.slice(h.end);
  }
  return out;
}
