/**
 * Static check of a regular expression against what Espruino's own small
 * engine (src/jswrap_regexp.c) can run the same way as ECMAScript. A regex
 * that breaks a rule may still parse and pass in Node or Duktape, but it
 * matches something else (or nothing) on a board. The runtime port is in
 * test/support/espruino-regex.ts; this is the cheap build-time net.
 */

export interface RegexViolation {
  /** Short rule id, e.g. "regex-optional". */
  rule: string;
  /** What is wrong, and what Espruino does instead. */
  detail: string;
}

/** The rules, with the reason given in messages. */
export const REGEX_RULES: Record<string, string> = {
  "regex-flag": "flag other than g or i (Espruino knows only g and i)",
  "regex-optional": "`?` quantifier (Espruino has only * and +: `?` is a literal character)",
  "regex-lazy": "lazy quantifier *? +? (Espruino: the `?` is a literal character)",
  "regex-brace": "`{` (Espruino has no {n,m} quantifier: it is a literal character)",
  "regex-group-syntax": "`(?` group (non-capturing or named; Espruino: `?` is a literal character)",
  "regex-lookaround": "lookahead/lookbehind (not in Espruino)",
  "regex-backreference": "backreference \\1-\\9 (Espruino throws \"Backreferences not supported\")",
  "regex-word-boundary": "\\b or \\B outside a class (Espruino: \\b is the backspace character, \\B a literal B)",
  "regex-escape": "escape Espruino does not know (\\u, \\c, \\k, \\p, octal, \\x without two hex digits)",
  "regex-anchor": "`^` not at the very start, or a `^` start with a top-level `|` (a failing `^` ends the whole match on Espruino, no alternative is tried)",
  "regex-range-high": "class range with an end above \\x7f (Espruino compares C chars, signed on some builds: the range may never match)",
  "regex-range": "class range that Espruino reads differently (a class escape as an end, or equal or reversed ends: Espruino requires low < high)",
  "regex-non-ascii": "character above \\x7f (Espruino compares bytes; a UTF-8 string has several per character)",
  "regex-group-quantifier": "* or + after a group (Espruino: a literal character)",
  "regex-group-alternation": "`|` inside a group (Espruino ends the whole match at the `|`)",
  "regex-class-bracket": "unescaped `[` inside a class (Espruino opens a nested class)",
  "regex-groups": "more than 9 groups (Espruino has 9)",
};

const CLASS_ESCAPES = "dDsSwW";
const HEX = "0123456789abcdefABCDEF";

/** Check one pattern (source text as in `/pattern/flags`) and its flags. */
export function checkRegex(pattern: string, flags = ""): RegexViolation[] {
  const out: RegexViolation[] = [];
  const add = (rule: string, at: number, what: string) => {
    if (!out.some((v) => v.rule === rule)) out.push({ rule, detail: `${what} at ${at}: ${REGEX_RULES[rule]}` });
  };
  for (const f of flags) if (f !== "g" && f !== "i") add("regex-flag", 0, `flag "${f}"`);

  /** Read one escape at p[i] == "\\"; returns [length, char code or -1 for a class escape]. */
  const escape = (i: number, inClass: boolean): [number, number] => {
    const c = pattern[i + 1];
    if (c === undefined) return [1, 92];
    if (c >= "1" && c <= "9") add("regex-backreference", i, `"\\${c}"`);
    if (!inClass && (c === "b" || c === "B")) add("regex-word-boundary", i, `"\\${c}"`);
    if ("uckpP".includes(c)) add("regex-escape", i, `"\\${c}"`);
    if (c === "0" && pattern[i + 2] >= "0" && pattern[i + 2] <= "9") add("regex-escape", i, `octal "\\0${pattern[i + 2]}"`);
    if (c === "x") {
      const h = pattern.slice(i + 2, i + 4);
      if (h.length < 2 || !HEX.includes(h[0]) || !HEX.includes(h[1])) {
        add("regex-escape", i, `"\\x${h}"`);
        return [2, 120];
      }
      return [4, parseInt(h, 16)];
    }
    if (CLASS_ESCAPES.includes(c)) return [2, -1];
    const codes: Record<string, number> = { f: 12, b: 8, n: 10, r: 13, t: 9, v: 11, "0": 0 };
    return [2, c in codes ? codes[c] : c.charCodeAt(0)];
  };

  let depth = 0;
  let groups = 0;
  let topAlt = false;
  // what came just before: an unescaped "(" , an unescaped quantifier, or anything else
  let prev: "open" | "quant" | "other" = "other";
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === "\\") {
      const [n, code] = escape(i, false);
      if (code > 0x7f) add("regex-non-ascii", i, `"${pattern.slice(i, i + n)}"`);
      i += n;
      prev = "other";
      continue;
    }
    if (c === "[") {
      // a class: items, ranges "a-b"
      let j = i + 1;
      if (pattern[j] === "^") j++;
      const item = (k: number): [number, number] => {
        if (pattern[k] === "\\") return escape(k, true);
        if (pattern[k] === "[") add("regex-class-bracket", k, `"["`);
        return [1, pattern.charCodeAt(k)];
      };
      while (j < pattern.length && pattern[j] !== "]") {
        const [n, lo] = item(j);
        if (pattern[j + n] === "-" && j + n + 1 < pattern.length && pattern[j + n + 1] !== "]") {
          const [m, hi] = item(j + n + 1);
          const text = pattern.slice(j, j + n + 1 + m);
          if (lo < 0 || hi < 0) add("regex-range", j, `range "${text}"`);
          else {
            if (lo > 0x7f || hi > 0x7f) add("regex-range-high", j, `range "${text}"`);
            if (lo >= hi) add("regex-range", j, `range "${text}"`);
          }
          j += n + 1 + m;
        } else {
          if (lo > 0x7f) add("regex-non-ascii", j, `"${pattern.slice(j, j + n)}"`);
          j += n;
        }
      }
      i = j + 1;
      prev = "other";
      continue;
    }
    if (c === "(") {
      if (pattern[i + 1] === "?") {
        const look = pattern[i + 2] === "=" || pattern[i + 2] === "!" || (pattern[i + 2] === "<" && (pattern[i + 3] === "=" || pattern[i + 3] === "!"));
        add(look ? "regex-lookaround" : "regex-group-syntax", i, `"${pattern.slice(i, i + (look ? 4 : 3))}"`);
      }
      depth++;
      groups++;
    } else if (c === ")") {
      depth--;
      if (pattern[i + 1] === "*" || pattern[i + 1] === "+") add("regex-group-quantifier", i, `")${pattern[i + 1]}"`);
    } else if (c === "|") {
      if (depth > 0) add("regex-group-alternation", i, `"|"`);
      else topAlt = true;
    } else if (c === "^") {
      if (i !== 0) add("regex-anchor", i, `"^"`);
    } else if (c === "?") {
      // ("(?" was reported at the "(")
      if (prev === "quant") add("regex-lazy", i, `"${pattern[i - 1]}?"`);
      else if (prev !== "open") add("regex-optional", i, `"?"`);
    } else if (c === "{") {
      add("regex-brace", i, `"{"`);
    } else if (pattern.charCodeAt(i) > 0x7f) {
      add("regex-non-ascii", i, JSON.stringify(c));
    }
    prev = c === "(" ? "open" : c === "*" || c === "+" ? "quant" : "other";
    i++;
  }
  if (pattern[0] === "^" && topAlt) add("regex-anchor", 0, `"^" start with a top-level "|"`);
  if (groups > 9) add("regex-groups", 0, `${groups} groups`);
  return out;
}

/** `/pattern/flags` for messages. */
export function showRegex(pattern: string, flags: string): string {
  return `/${pattern}/${flags}`;
}
