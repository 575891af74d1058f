/**
 * Espruino's own regular-expression engine, ported line by line to ES5 from
 * the Espruino sources (src/jswrap_regexp.c: match, matchhere,
 * matchcharacter, nomatchfound, matchfound, jswrap_regexp_exec/test;
 * src/jswrap_string.c: String replace/match/split with a RegExp;
 * src/jsutils.c: isWhitespace, isNumeric, isAlpha).
 *
 * Why: our board bundles are tested in Duktape and Node, both real ES5+
 * engines. Espruino's engine is a small backtracking matcher that differs a
 * lot (no `?`, `{n}`, `(?:`, backreferences; `|` is found by scanning for
 * the next `|`; a failing `^` ends the whole match; `$` is only tried at
 * indexes before the end; `+` also tries zero repetitions when the first
 * character matches...), so a regex can pass every test and fail on a board.
 *
 * Faithfulness notes:
 * - Characters are C `char`s. Xtensa GCC (ESP32, ESP8266) and RISC-V GCC
 *   (ESP32-C3) make plain `char` UNSIGNED (gcc/config/xtensa/xtensa.h:
 *   DEFAULT_SIGNED_CHAR 0; Espruino's ESP8266/ESP32 makefiles add no
 *   -fsigned-char), so unsigned is the default here. `signedChar: true`
 *   emulates x86/Linux builds, where `[\0-\xff]` can never match.
 * - A JS character above 0xff stands for the first byte of its UTF-8 form
 *   (a byte >= 0xc0): Espruino strings are bytes. Indexes stay JS indexes.
 * - At the end of the text Espruino's iterator reads char 0, and the matcher
 *   relies on that (`[^a]+` "matches" the end); the port does the same.
 * - Where Espruino raises an exception (unfinished class, backreference),
 *   the port throws an Error with the same message. A 10th group, which
 *   Espruino writes past its table (undefined behaviour), throws too, and so
 *   does a `split` whose regex matches the empty string (Espruino loops
 *   forever there).
 * - Case folding (`i`) uses ASCII A-Z plus ISO 8859-1 0xc0-0xde (not 0xd7),
 *   like Espruino's charToLowerCase; the bundles use no `i` flag.
 * - Espruino has no String.prototype.search at all: the Duktape install
 *   makes `search` with a RegExp throw.
 *
 * Two forms, one implementation (the ES5 text below):
 * - `espruinoRegExp(opts)` for Node tests: exec/test/replace/match/split
 *   over `{ source, flags, lastIndex }` objects or native RegExps;
 * - `ESPRUINO_REGEX_DUK`: ES5 source that, evaluated in Duktape, replaces
 *   RegExp.prototype.exec/test and the RegExp forms of String.prototype
 *   replace/match/split (string arguments keep the native code).
 */

/** The engine: `__espruinoRegExp(signedChar)` returns { match, exec, test, replace, strMatch, split }. Uses no regex itself. */
export const ESPRUINO_REGEX_ENGINE_ES5 = String.raw`
function __espruinoRegExp(signedChar) {
  var NO_RANGE = 256, MAX_GROUPS = 9;
  function k(s) { return s.charCodeAt(0); }
  var DOT = k("."), LB = k("["), RB = k("]"), CARET = k("^"), DOLLAR = k("$"), LP = k("("), RP = k(")"),
    PIPE = k("|"), STAR = k("*"), PLUS = k("+"), BS = k("\\"), DASH = k("-"), ZERO = k("0"), NINE = k("9"), X = k("x");
  // a C char from a byte value
  function toChar(v) { v = v & 255; return signedChar && v > 127 ? v - 256 : v; }
  // the C char at index i of a JS string, 0 past the end (the NUL terminator / Espruino's end-of-string read)
  function at(s, i) {
    if (i >= s.length) return 0;
    var c = s.charCodeAt(i);
    if (c > 255) c = c < 0x800 ? 0xc0 | (c >> 6) : 0xe0 | (c >> 12); // first UTF-8 byte
    return toChar(c);
  }
  function isNumeric(ch) { return ch >= 48 && ch <= 57; }
  function isAlpha(ch) { return (ch >= 97 && ch <= 122) || (ch >= 65 && ch <= 90) || ch == 95; }
  function isWhitespace(ch) { return ch == 9 || ch == 11 || ch == 12 || ch == 32 || (ch & 255) == 0xa0 || ch == 10 || ch == 13; }
  function lower(ch) { return (ch >= 65 && ch <= 90) || (ch >= 192 && ch <= 222 && ch != 215) ? toChar(ch + 32) : ch; }
  function chtod(ch) {
    if (ch >= 48 && ch <= 57) return ch - 48;
    if (ch >= 97 && ch <= 122) return 10 + ch - 97;
    if (ch >= 65 && ch <= 90) return 10 + ch - 65;
    return -1;
  }
  function hexToByte(hi, lo) { var a = chtod(hi), b = chtod(lo); return a < 0 || b < 0 ? -1 : (a << 4) | b; }
  // matchInfo is passed by value in C: every matchhere works on its own copy
  function copy(i) {
    return { str: i.str, startIndex: i.startIndex, ignoreCase: i.ignoreCase, rangeMatch: i.rangeMatch,
      rangeFirstChar: i.rangeFirstChar, groups: i.groups, gs: i.gs.slice(), ge: i.ge.slice() };
  }

  function matchfound(ti, info) {
    var s = info.str, r = [s.substring(info.startIndex, ti)];
    for (var i = 0; i < info.groups; i++) r.push(s.substr(info.gs[i], info.ge[i] - info.gs[i]));
    r.index = info.startIndex;
    r.input = s;
    return r;
  }
  // No match: search to the next '|' of the regex and try from the match start again.
  function nomatchfound(re, p, info) {
    while (at(re, p) && at(re, p) != PIPE) {
      if (at(re, p) == BS) { p++; if (!at(re, p)) return null; }
      p++;
    }
    if (at(re, p) != PIPE) return null;
    return matchhere(re, p + 1, info.startIndex, info);
  }
  // Match one character at re[p] against str[ti]; out[0] = length of the regex part used.
  function matchcharacter(re, p, ti, info, out) {
    var length = 1, ch = at(info.str, ti), r0 = at(re, p), ml = [0], m;
    out[0] = 1;
    if (r0 == DOT) return true;
    if (r0 == LB) { // character set
      info.rangeMatch = true;
      var inverted = at(re, p + 1) == CARET, matchAny = false;
      if (inverted) length++;
      while (at(re, p + length) && at(re, p + length) != RB) {
        if (at(re, p + length) == DOT) { // a '.' in a set is a dot (Espruino issue 1948)
          matchAny = matchAny || ch == DOT;
          length++;
        } else {
          m = matchcharacter(re, p + length, ti, info, ml);
          matchAny = matchAny || m;
          length += ml[0];
        }
      }
      if (at(re, p + length) == RB) length++;
      else throw new Error("Unfinished character set in RegEx");
      info.rangeMatch = false;
      out[0] = length;
      return matchAny != inverted;
    }
    var cH = r0;
    if (cH == BS) { // escape
      length = 2;
      out[0] = 2;
      cH = at(re, p + 1);
      var e = String.fromCharCode(cH & 255);
      if (e == "d") return isNumeric(ch);
      if (e == "D") return !isNumeric(ch);
      if (e == "f") cH = 12;
      else if (e == "b") cH = 8;
      else if (e == "n") cH = 10;
      else if (e == "r") cH = 13;
      else if (e == "s") return isWhitespace(ch);
      else if (e == "S") return !isWhitespace(ch);
      else if (e == "t") cH = 9;
      else if (e == "v") cH = 11;
      else if (e == "w") return isNumeric(ch) || isAlpha(ch) || ch == 95;
      else if (e == "W") return !(isNumeric(ch) || isAlpha(ch) || ch == 95);
      else if (cH == ZERO) cH = 0;
      else if (cH > ZERO && cH <= NINE) throw new Error("Backreferences not supported");
      else if (cH == X && at(re, p + 2) && at(re, p + 3)) {
        length = 4;
        cH = toChar(hexToByte(at(re, p + 2), at(re, p + 3)));
      }
    }
    // haveCode:
    if (info.rangeMatch && at(re, p + length) == DASH && at(re, p + 1 + length) != RB) { // range start
      info.rangeFirstChar = cH;
      length++;
      m = matchcharacter(re, p + length, ti, info, ml);
      out[0] = length + ml[0];
      return m;
    }
    out[0] = length;
    if (info.ignoreCase) { ch = lower(ch); cH = lower(cH); }
    if (info.rangeFirstChar != NO_RANGE) { // range end
      var cL = toChar(info.rangeFirstChar);
      if (info.ignoreCase) cL = lower(cL);
      info.rangeFirstChar = NO_RANGE;
      return ch >= cL && ch <= cH && cL < cH;
    }
    return cH == ch;
  }
  // Match re from p at str[ti]. Only handles up to the next '|'.
  function matchhere(re, p, ti, info0) {
    var info = copy(info0), r0 = at(re, p), len = info.str.length;
    if (r0 == 0 || r0 == PIPE) return matchfound(ti, info);
    if (r0 == CARET) return ti != 0 ? null : matchhere(re, p + 1, ti, info); // no alternative is tried
    if (r0 == DOLLAR) return ti >= len ? matchhere(re, p + 1, ti, info) : nomatchfound(re, p + 1, info);
    if (r0 == LP) {
      if (info.groups >= MAX_GROUPS) throw new Error("More than 9 groups: Espruino writes past its group table");
      info.gs[info.groups] = ti;
      info.ge[info.groups] = ti;
      info.groups++;
      return matchhere(re, p + 1, ti, info);
    }
    if (r0 == RP) {
      if (info.groups > 0) info.ge[info.groups - 1] = ti; // the LAST opened group, not the innermost open one
      return matchhere(re, p + 1, ti, info);
    }
    var out = [0], charMatched = matchcharacter(re, p, ti, info, out), charLength = out[0], op = at(re, p + charLength);
    if (op == STAR || op == PLUS) {
      if (!charMatched && op == PLUS) return nomatchfound(re, p + charLength + 1, info);
      var after = p + charLength + 1;
      // try the rest right now (zero repetitions, also for '+'), then after each further match; keep the last (longest)
      var last = matchhere(re, after, ti, info);
      while (ti < len && charMatched) {
        ti++;
        charMatched = matchcharacter(re, p, ti, info, out);
        var r = matchhere(re, after, ti, info);
        if (r) last = r;
      }
      return last;
    }
    if (ti < len && charMatched) return matchhere(re, p + charLength, ti + 1, info);
    return nomatchfound(re, p + charLength, info);
  }
  // Search for re anywhere in str from startIndex. Positions startIndex..len-1 are tried
  // (and startIndex itself even when it is the end), never len otherwise.
  function match(re, str, startIndex, ignoreCase) {
    var info = { str: str, startIndex: startIndex, ignoreCase: !!ignoreCase, rangeMatch: false, rangeFirstChar: NO_RANGE, groups: 0, gs: [], ge: [] };
    var r = matchhere(re, 0, startIndex, info);
    for (var i = startIndex + 1; !r && i < str.length; i++) {
      info.startIndex = i;
      r = matchhere(re, 0, i, info);
    }
    return r;
  }

  function hasFlag(re, f) {
    if (typeof re.flags == "string") return re.flags.indexOf(f) >= 0;
    return f == "g" ? !!re.global : f == "i" ? !!re.ignoreCase : false;
  }
  function asString(v) { return typeof v == "string" ? v : String(v); }
  function toInt(v) { v = +v; return v != v ? 0 : v < 0 ? Math.ceil(v) : Math.floor(v); }
  // jswrap_regexp_exec: lastIndex is read for every regex; beyond the end: undefined, lastIndex untouched
  function exec(re, arg) {
    var str = asString(arg), lastIndex = toInt(re.lastIndex), source = re.source;
    if (typeof source != "string" || lastIndex > str.length) return undefined;
    var m = match(source, str, lastIndex, hasFlag(re, "i"));
    if (!m) { m = null; lastIndex = 0; }
    else lastIndex = hasFlag(re, "g") ? m.index + m[0].length : 0;
    re.lastIndex = lastIndex;
    return m;
  }
  function test(re, arg) { var v = exec(re, arg); return !!v; }
  // jswrap_string_replace with a RegExp
  function replace(str, re, repl) {
    str = asString(str);
    if (typeof repl != "function" && typeof repl != "string") repl = asString(repl);
    re.lastIndex = 0;
    var global = hasFlag(re, "g"), out = "", lastIndex = 0, m = exec(re, str);
    while (m) {
      var ms = m[0], idx = m.index, len = ms.length;
      out += str.substr(lastIndex, idx - lastIndex);
      if (typeof repl == "function") {
        var args = [ms];
        while (args.length < m.length && args.length < 11) args.push(m[args.length]);
        args.push(m.index, m.input);
        out += asString(repl.apply(undefined, args));
      } else {
        for (var i = 0; i < repl.length; i++) {
          var c = repl.charAt(i);
          if (c == "$") {
            c = i + 1 < repl.length ? repl.charAt(++i) : (i++, "\u0000"); // past the end Espruino reads char 0
            var g = c > "0" && c <= "9" ? m[+c] : undefined;
            out += g !== undefined ? g : "$" + c;
          } else out += c;
        }
      }
      lastIndex = idx + len;
      m = null;
      if (global) {
        re.lastIndex = lastIndex + (len ? 0 : 1);
        m = exec(re, str);
      }
    }
    out += str.substr(lastIndex);
    if (global) re.lastIndex = 0;
    return out;
  }
  // jswrap_string_match with a RegExp: global gives an array of the matched strings, [] when none
  function strMatch(str, re) {
    str = asString(str);
    re.lastIndex = 0;
    var m = exec(re, str);
    if (!hasFlag(re, "g")) return m;
    var a = [];
    while (m) {
      var len = m[0].length, last = m.index + len;
      a.push(m[0]);
      re.lastIndex = last + (len ? 0 : 1);
      m = exec(re, str);
    }
    re.lastIndex = 0;
    return a;
  }
  // jswrap_string_split with a RegExp: no groups in the output, no limit
  function split(str, re) {
    str = asString(str);
    var a = [], last = 0, m;
    re.lastIndex = 0;
    m = exec(re, str);
    while (m) {
      if (!m[0].length && m.index == last) throw new Error("split: the regex matches the empty string, Espruino loops forever");
      a.push(str.substr(last, m.index - last));
      last = m.index + m[0].length;
      re.lastIndex = last;
      m = exec(re, str);
    }
    re.lastIndex = 0;
    if (last <= str.length) a.push(str.substr(last));
    return a;
  }
  return { match: match, exec: exec, test: test, replace: replace, strMatch: strMatch, split: split };
}
`;

/**
 * Duktape form: evaluate it (before the bundle) to run every RegExp of the
 * script on Espruino's engine. `__espruinoRegExpOptions = { signedChar: true }`
 * may be set before it.
 */
export const ESPRUINO_REGEX_DUK =
  ESPRUINO_REGEX_ENGINE_ES5 +
  String.raw`
(function () {
  var o = typeof __espruinoRegExpOptions == "object" && __espruinoRegExpOptions || {};
  var E = __espruinoRegExp(!!o.signedChar), RP = RegExp.prototype, SP = String.prototype;
  var nReplace = SP.replace, nMatch = SP.match, nSplit = SP.split, nSearch = SP.search;
  RP.exec = function (s) { return E.exec(this, s); };
  RP.test = function (s) { return E.test(this, s); };
  SP.replace = function (a, b) { return a instanceof RegExp ? E.replace(this, a, b) : nReplace.apply(this, arguments); };
  SP.match = function (a) { return a instanceof RegExp ? E.strMatch(this, a) : nMatch.apply(this, arguments); };
  SP.split = function (a) { return a instanceof RegExp ? E.split(this, a) : nSplit.apply(this, arguments); };
  SP.search = function (a) {
    if (a instanceof RegExp) throw new TypeError("String.prototype.search does not exist on Espruino");
    return nSearch.apply(this, arguments);
  };
})();
`;

/** A regex as Espruino sees it: its source text, flags string and lastIndex. */
export interface EspruinoRegExpLike {
  source: string;
  flags?: string;
  global?: boolean;
  ignoreCase?: boolean;
  lastIndex: number;
}

export type EspruinoMatch = string[] & { index: number; input: string };

export interface EspruinoRegExpEngine {
  /** Espruino's `match()`: search `source` in `str` from `startIndex`. */
  match(source: string, str: string, startIndex?: number, ignoreCase?: boolean): EspruinoMatch | null;
  /** RegExp.prototype.exec (undefined when lastIndex is past the end, like Espruino). */
  exec(re: EspruinoRegExpLike, str: unknown): EspruinoMatch | null | undefined;
  test(re: EspruinoRegExpLike, str: unknown): boolean;
  replace(str: unknown, re: EspruinoRegExpLike, repl: string | ((...a: any[]) => unknown)): string;
  /** String.prototype.match with a RegExp. */
  strMatch(str: unknown, re: EspruinoRegExpLike): EspruinoMatch | string[] | null | undefined;
  split(str: unknown, re: EspruinoRegExpLike): string[];
}

/** The same engine in this process (Node), for unit tests. Does not touch the global RegExp. */
export function espruinoRegExp(opts: { signedChar?: boolean } = {}): EspruinoRegExpEngine {
  // eslint-disable-next-line no-new-func
  const make = new Function(ESPRUINO_REGEX_ENGINE_ES5 + "\nreturn __espruinoRegExp;")() as (s: boolean) => EspruinoRegExpEngine;
  return make(!!opts.signedChar);
}

/** `{ source, flags, lastIndex }` of a native RegExp, for the engine (mutable lastIndex of its own). */
export function espruinoRe(re: RegExp): EspruinoRegExpLike {
  return { source: re.source, flags: re.flags, lastIndex: 0 };
}

/**
 * Espruino's Function.prototype.apply takes at most 64 arguments and throws
 * beyond ("Array passed to Function.apply is too big! Maximum 64 arguments",
 * src/jswrap_functions.c jswrap_function_apply_or_call): the same limit for
 * every script run in Duktape as a board, so `String.fromCharCode.apply` over
 * a long array fails in the tests as it would on the board.
 */
export const ESPRUINO_APPLY_LIMIT_DUK = `
(function () {
  var apply = Function.prototype.apply, call = Function.prototype.call;
  Object.defineProperty(Function.prototype, "apply", {
    configurable: true,
    writable: true,
    value: function (self, args) {
      if (args != null && args.length > 64) throw new Error("Array passed to Function.apply is too big! Maximum 64 arguments, got " + args.length);
      return call.call(apply, this, self, args);
    }
  });
})();
`;
