/**
 * Static checks that a bundle can run on Espruino: it must parse as ES5, and
 * must not use globals or static members Espruino's interpreter lacks, nor
 * labels (Espruino does not implement labelled statements), nor regular
 * expressions that Espruino's small engine reads differently
 * (./regex-check: regex literals and `RegExp("literal")` calls), nor assign
 * `.length` (Espruino does not drop array elements: ./espruino-builtins).
 */
import * as acorn from "acorn";
import { checkRegex } from "./regex-check";

/** Global identifiers Espruino does not have. */
export const FORBIDDEN_GLOBALS = [
  "Map", "Set", "WeakMap", "WeakSet", "WeakRef", "Symbol", "Reflect", "Proxy",
  "BigInt", "globalThis", "TextEncoder", "TextDecoder", "queueMicrotask",
  "structuredClone", "Intl", "SharedArrayBuffer", "Atomics",
];

/** Static members Espruino does not have (object -> members). */
export const FORBIDDEN_MEMBERS: Record<string, string[]> = {
  Array: ["from", "of"],
  Number: ["isInteger", "isSafeInteger", "isFinite", "isNaN", "EPSILON", "MAX_SAFE_INTEGER", "MIN_SAFE_INTEGER", "parseFloat", "parseInt"],
  Object: ["entries", "values", "fromEntries", "getOwnPropertySymbols", "is", "setPrototypeOf"],
  String: ["raw", "fromCodePoint"],
  Math: ["trunc", "sign", "log2", "log10", "clz32", "imul", "fround", "hypot", "cbrt", "expm1", "log1p"],
  Promise: ["allSettled", "any"],
};

export interface Violation {
  rule: string;
  detail: string;
  /** 0-based offset in the source. */
  pos: number;
}

type Node = acorn.Node & Record<string, any>;

/** Walk every AST node (acorn ESTree), calling `visit(node, parent, key)`. */
function walk(node: Node, visit: (n: Node, parent: Node | null, key: string) => void, parent: Node | null = null, key = ""): void {
  visit(node, parent, key);
  for (const k of Object.keys(node)) {
    if (k === "type" || k === "start" || k === "end" || k === "loc" || k === "range") continue;
    const v = (node as any)[k];
    if (Array.isArray(v)) {
      for (const c of v) if (c && typeof c.type === "string") walk(c, visit, node, k);
    } else if (v && typeof v.type === "string") {
      walk(v, visit, node, k);
    }
  }
}

/** True when an Identifier node is a variable reference (not a property name or a declaration key). */
function isReference(parent: Node | null, key: string): boolean {
  if (!parent) return true;
  if (parent.type === "MemberExpression" && key === "property" && !parent.computed) return false;
  if (parent.type === "Property" && key === "key" && !parent.computed) return false;
  return true;
}

/** Check one bundle's source; returns all violations (empty = ok). */
export function checkEs5(code: string): Violation[] {
  let ast: Node;
  try {
    ast = acorn.parse(code, { ecmaVersion: 5, sourceType: "script", allowReturnOutsideFunction: true }) as Node;
  } catch (e) {
    const err = e as Error & { pos?: number };
    return [{ rule: "es5-syntax", detail: err.message, pos: err.pos ?? 0 }];
  }
  const out: Violation[] = [];
  // Names declared in the bundle itself (e.g. a minified local called `Set`)
  // shadow globals and are fine.
  const declared = new Set<string>();
  walk(ast, (n, parent, key) => {
    if (n.type === "VariableDeclarator" && n.id.type === "Identifier") declared.add(n.id.name);
    if ((n.type === "FunctionDeclaration" || n.type === "FunctionExpression") && n.id) declared.add(n.id.name);
    if ((n.type === "FunctionDeclaration" || n.type === "FunctionExpression") && n.params)
      for (const p of n.params) if (p.type === "Identifier") declared.add(p.name);
    if (n.type === "CatchClause" && n.param && n.param.type === "Identifier") declared.add(n.param.name);
    void parent; void key;
  });
  walk(ast, (n, parent, key) => {
    if (n.type === "Literal" && n.regex) {
      for (const r of checkRegex(n.regex.pattern, n.regex.flags)) out.push({ rule: r.rule, detail: `/${n.regex.pattern}/${n.regex.flags}: ${r.detail}`, pos: n.start });
    } else if ((n.type === "NewExpression" || n.type === "CallExpression") && n.callee.type === "Identifier" && n.callee.name === "RegExp" && !declared.has("RegExp")) {
      const [a, f] = n.arguments;
      if (a && a.type === "Literal" && typeof a.value === "string") {
        const flags = f && f.type === "Literal" && typeof f.value === "string" ? f.value : "";
        for (const r of checkRegex(a.value, flags)) out.push({ rule: r.rule, detail: `RegExp(${JSON.stringify(a.value)}, ${JSON.stringify(flags)}): ${r.detail}`, pos: n.start });
      }
    }
    if (n.type === "AssignmentExpression" && n.left.type === "MemberExpression" && (n.left.computed ? n.left.property.value === "length" : n.left.property.name === "length")) {
      out.push({ rule: "length-assign", detail: "assignment to .length (Espruino never drops array elements that way: use splice)", pos: n.start });
    }
    if (n.type === "LabeledStatement") {
      out.push({ rule: "label", detail: `label "${n.label.name}:" (Espruino has no labelled statements)`, pos: n.start });
    } else if (n.type === "Identifier" && isReference(parent, key) && FORBIDDEN_GLOBALS.includes(n.name) && !declared.has(n.name)) {
      out.push({ rule: "global", detail: `${n.name} (not in Espruino)`, pos: n.start });
    } else if (n.type === "MemberExpression" && n.object.type === "Identifier" && !declared.has(n.object.name)) {
      const members = FORBIDDEN_MEMBERS[n.object.name];
      const prop = n.computed ? (n.property.type === "Literal" ? String(n.property.value) : null) : n.property.name;
      if (members && prop !== null && members.includes(prop)) {
        out.push({ rule: "member", detail: `${n.object.name}.${prop} (not in Espruino)`, pos: n.start });
      }
    }
  });
  return out;
}

/** Human-readable violation with a snippet of the code around it. */
export function formatViolation(code: string, v: Violation): string {
  const a = Math.max(0, v.pos - 30);
  const snippet = code.slice(a, v.pos + 40).replace(/\s+/g, " ");
  return `${v.rule}: ${v.detail} at offset ${v.pos}: ...${snippet}...`;
}
