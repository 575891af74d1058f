/**
 * The port of Espruino's regex engine (test/support/espruino-regex.ts):
 * behaviour worked out by hand from src/jswrap_regexp.c and
 * src/jswrap_string.c; every regex the board bundles ship, run on the port
 * and on V8 with the same inputs (they must agree); the static lint of
 * regexes (scripts/lib/regex-check.ts, part of checkEs5); and the real
 * esp32 core and full bundles in Duktape with the engine installed.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as acorn from "acorn";
import fc from "fast-check";
import { espruinoRegExp, espruinoRe, ESPRUINO_REGEX_DUK, type EspruinoRegExpLike } from "../scripts/lib/espruino-regex";
import { ESPRUINO_STANDIN_DUK } from "./support/espruino-standin";
import { dukBundleScript } from "./support/duk-bundle";
import { checkRegex, REGEX_RULES } from "../scripts/lib/regex-check";
import { checkEs5 } from "../scripts/lib/es5check";
import { hasDuk, runDuk, ESPRUINO_PRELUDE } from "../scripts/lib/duk";
import { buildBoardBundle } from "../scripts/lib/bundle";
import { loadBoard } from "../scripts/lib/boards";

const E = espruinoRegExp();
const ES = espruinoRegExp({ signedChar: true });
const t = (re: RegExp, s: string, e = E) => e.test(espruinoRe(re), s);
const x = (re: RegExp, s: string) => {
  const m = E.exec(espruinoRe(re), s);
  return m && { all: [...m], index: m.index };
};

// ------------------------------------------------------------ hand-worked Espruino behaviour

test("a failing ^ ends the whole match: /^$|[+#]/ misses the '+' of \"a+\" (V8 finds it)", () => {
  assert.is(t(/^$|[+#]/, "a+"), false);
  assert.is(/^$|[+#]/.test("a+"), true);
  // at index 0 the '^' passes, '$' fails and the '|' alternative is tried there; at 1 '^' ends everything
  assert.is(t(/^$|[+#]/, "+a"), true);
  assert.is(t(/^$|[+#]/, ""), true);
});

test("an alternative after the failing part is tried: /[+#]|^$/ matches \"\"", () => {
  assert.is(t(/[+#]|^$/, ""), true);
  assert.is(t(/[+#]|^$/, "a"), false);
  assert.is(t(/[+#]|^$/, "a#"), true);
});

test("(?: and ? are not Espruino syntax: the old URL regex finds nothing in \"mqtt://h\"", () => {
  const re = /^(\w+):\/\/(?:([^:@]*):?([^@]*)@)?([^:/]*):?(\d*)/;
  assert.is(x(re, "mqtt://h"), null);
  assert.ok(re.exec("mqtt://h")); // V8 parses it
  // Espruino reads "(?:" as a group then a literal "?" and ":"; "?" after ":" is a literal too
  assert.equal(x(re, "mqtt://?:u:?p@h"), null);
  assert.equal(x(/a?b/, "a?b"), { all: ["a?b"], index: 0 });
});

test("replace /[^0-9a-zA-Z]/g with \"\" (the client id of getSerial())", () => {
  assert.is(E.replace("a4:cf-12", espruinoRe(/[^0-9a-zA-Z]/g), ""), "a4cf12");
  assert.is(E.replace("wren" + "30:ae:a4:12:34:56", espruinoRe(/[^0-9a-zA-Z]/g), "").substr(0, 23), "wren30aea4123456");
});

test("exec /[EY]-----([^-]+)/ on a PEM: the group is the base64 body (after the header ending in E or Y)", () => {
  const pem = "-----BEGIN EC PARAMETERS-----\nBggq\n-----END EC PARAMETERS-----\n-----BEGIN EC PRIVATE KEY-----\nMHcC\nAQEE\n-----END EC PRIVATE KEY-----\n";
  const m = E.exec(espruinoRe(/[EY]-----([^-]+)/), pem)!;
  assert.equal([...m], ["Y-----\nMHcC\nAQEE\n", "\nMHcC\nAQEE\n"]);
  assert.is(m.index, pem.indexOf("KEY-----") + 2);
  assert.is(m.input, pem);
  // String.match with a non-global regex is exec
  const cert = "-----BEGIN CERTIFICATE-----\nMIIB\r\nAA==\n-----END CERTIFICATE-----\n";
  const g = E.strMatch(cert, espruinoRe(/[EY]-----([^-]+)/)) as string[];
  assert.is(E.replace(g[1], espruinoRe(/\s/g), ""), "MIIBAA==");
});

test("replace /\\d/g with a function: called with (match, index, input), result stringified", () => {
  const calls: unknown[][] = [];
  const r = E.replace("a1b22", espruinoRe(/\d/g), (...a: unknown[]) => (calls.push(a), "<" + a[0] + ">"));
  assert.is(r, "a<1>b<2><2>");
  assert.equal(calls, [["1", 1, "a1b22"], ["2", 3, "a1b22"], ["2", 4, "a1b22"]]);
  // groups come between the match and the index; a non-string result is stringified
  assert.is(E.replace("k=v", espruinoRe(/(\w)=(\w)/), (m: string, a: string, b: string, i: number) => b + a + i), "vk0");
  assert.is(E.replace("ab", espruinoRe(/a/), () => 7), "7b");
});

test("non-ASCII detection: /[^\\0-\\x7f]/ finds \"é\", /[^\\x01-\\x7f]|[+#]/ finds the '+' of \"a/+\"", () => {
  for (const e of [E, ES]) {
    assert.is(t(/[^\0-\x7f]/, "é", e), true);
    assert.is(t(/[^\0-\x7f]/, "abc\x7f\0", e), false);
    assert.is(t(/[^\0-\x7f]/, "a\u20acb", e), true);
    assert.is(t(/[^\x01-\x7f]|[+#]/, "a/+", e), true);
    assert.is(t(/[^\x01-\x7f]|[+#]/, "a\0b", e), true);
    assert.is(t(/[^\x01-\x7f]|[+#]/, "a/b", e), false);
  }
});

test("/s/ finds the s of mqtts, not of mqtt", () => {
  assert.is(t(/s/, "mqtts"), true);
  assert.is(t(/s/, "mqtt"), false);
});

test("C chars: [\\0-\\xff] matches on unsigned-char builds (ESP32, ESP8266), never on signed ones", () => {
  assert.is(t(/[\0-\xff]/, "a"), true);
  assert.is(t(/[\0-\xff]/, "a", ES), false); // cL = 0, cH = -1: cL < cH fails
  assert.is(t(/[^\0-\xff]/, "a", ES), true);
  assert.is(t(/[\x80-\xff]/, "\xe9"), true);
  assert.is(t(/[\x80-\xff]/, "\xe9", ES), true); // -128..-1
});

test("engine quirks, as in jswrap_regexp.c", () => {
  // '+' tries the rest with zero repetitions first when the character matches
  assert.is(t(/a+a/, "a"), true);
  // the end of the text reads as char 0: "[^a]+" accepts it
  assert.is(t(/x[^a]+/, "x"), true);
  assert.is(t(/x./, "x"), false);
  // the end position is only tried for an empty text (or lastIndex at the end)
  assert.is(t(/$/, "ab"), false);
  assert.is(t(/$/, ""), true);
  assert.is(t(/b$/, "ab"), true);
  // a group entered on a failed branch stays in the result
  assert.equal(x(/(a)|b/, "b"), { all: ["b", ""], index: 0 });
  // ranges need low < high
  assert.is(t(/[a-a]/, "a"), false);
  // "|" inside a group ends the match there
  assert.equal(x(/(a|b)c/, "ac"), { all: ["a", ""], index: 0 });
  // a quantifier after ")" is a literal character
  assert.is(t(/(ab)+/, "abab"), false);
  assert.is(t(/(ab)+/, "ab+"), true);
  // case-insensitive flag
  assert.is(t(/[A-F]x/i, "cX"), true);
  assert.throws(() => t(/(a)\1/, "aa"), /Backreferences not supported/);
  assert.throws(() => E.test({ source: "[ab", flags: "", lastIndex: 0 }, "a"), /Unfinished character set/);
});

test("exec/test and lastIndex as jswrap_regexp_exec: global advances, others reset to 0", () => {
  const g: EspruinoRegExpLike = { source: "\\d", flags: "g", lastIndex: 0 };
  assert.is(E.exec(g, "a1b2")![0], "1");
  assert.is(g.lastIndex, 2);
  assert.is(E.exec(g, "a1b2")![0], "2");
  assert.is(g.lastIndex, 4);
  assert.is(E.exec(g, "a1b2"), null);
  assert.is(g.lastIndex, 0);
  // past the end: undefined, lastIndex untouched
  g.lastIndex = 9;
  assert.is(E.exec(g, "a1b2"), undefined);
  assert.is(g.lastIndex, 9);
  assert.is(E.test(g, "a1b2"), false);
  // lastIndex is read for a non-global regex too, then reset
  const n: EspruinoRegExpLike = { source: "\\d", flags: "", lastIndex: 1 };
  assert.is(E.exec(n, "1a2b")!.index, 2); // (V8: 0)
  assert.is(n.lastIndex, 0);
  assert.is(E.exec(n, "1a2b")!.index, 0);
});

test("String replace/match/split with a RegExp, as jswrap_string.c", () => {
  // "$n" only for existing groups; "$&" and "$$" stay as written; a final "$" appends char 0
  assert.is(E.replace("ab", espruinoRe(/(a)/), "[$1$2$&$$]"), "[a$2$&$$]b");
  assert.is(E.replace("ab", espruinoRe(/a/), "x$"), "x$\0b");
  // global match: the matched strings, [] (not null) when none
  assert.equal(E.strMatch("a1b22", espruinoRe(/\d/g)), ["1", "2", "2"]);
  assert.equal(E.strMatch("ab", espruinoRe(/\d/g)), []);
  assert.is(E.strMatch("ab", espruinoRe(/\d/)), null);
  // split: no groups in the result
  assert.equal(E.split("1a2b3", espruinoRe(/[^0-9]/)), ["1", "2", "3"]);
  assert.equal(E.split("1(a)2", espruinoRe(/(a)/)), ["1(", ")2"]);
  assert.equal(E.split("a,", espruinoRe(/,/)), ["a", ""]);
  assert.throws(() => E.split("ab", espruinoRe(/x*/)), /loops forever/);
});

// ------------------------------------------------------------ every regex the board bundles ship

/** Representative inputs per shipped regex (an alphabet for random strings, and fixed cases). */
const SHIPPED: Record<string, { alphabet: string[]; cases: string[] }> = {
  "/[+#\\0]/": { alphabet: ["a", "/", "+", "#", "\0", "$", "é"], cases: ["", "a/b", "a/+", "#", "a\0", "$SYS/x", "t/é"] },
  "/[^/][+#]|\\+[^/]|#.|\\0/": {
    alphabet: ["a", "/", "+", "#", "\0", "$"],
    cases: ["", "a/+", "+", "#", "a/#", "a/#/b", "a+", "+a", "a/+/b", "/+/", "+/+", "a#", "#/", "a\0", "++", "##"],
  },
  "/\\0/": { alphabet: ["a", "\0", "0", "\\", "é"], cases: ["client", "a\0b", "\0", "", "0"] },
  "/^[+#]/": { alphabet: ["a", "/", "+", "#", "$"], cases: ["", "+", "#", "a/+", "+/a", "$SYS"] },
  "/s/": { alphabet: ["m", "q", "t", "s", "l", "c", "p"], cases: ["mqtt", "mqtts", "tcp", "tls", "ssl", "", "s"] },
  "/[EY]-----([^-]+)/": {
    // (a text ENDING in "E-----" differs: see the next-but-one test)
    alphabet: ["E", "Y", "-", "A", "\n", " ", "="],
    cases: [
      "-----BEGIN CERTIFICATE-----\nMIIB\nAA==\n-----END CERTIFICATE-----\n",
      "-----BEGIN EC PARAMETERS-----\nBggq\n-----END EC PARAMETERS-----\n-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----\n",
      "-----BEGIN PRIVATE KEY-----\r\nMII\r\n-----END PRIVATE KEY-----",
      "E-----\n",
      "",
    ],
  },
  "/\\s/g": { alphabet: ["A", " ", "\n", "\r", "\t", "\xa0", "="], cases: ["MI IB\r\nAA==\n", "", " ", "a\tb\vc\fd"] },
  "/[^0-9a-zA-Z]/g": { alphabet: ["a", "Z", "0", "9", ":", "-", "_", " ", "é"], cases: ["wren30:ae:a4:12:34:56", "a4:cf-12", "", "A_b-c", "é"] },
  "/\\d/g": { alphabet: ["a", "1", "9", " ", "0"], cases: [" payloadFormatIndicator message93 contentType     8Topic", "", "0"] },
  "/[^\\0-\\x7f]/": { alphabet: ["a", "\0", "\x7f", "\x80", "é", "\u20ac"], cases: ["MQTT", "é", "\x7f", "\x80", "", "pass\u20ac"] },
  "/[^\\x01-\\x7f]|[+#]/": { alphabet: ["a", "/", "+", "#", "\0", "é"], cases: ["a/b", "a/+", "t/é", "a\0", "", "#"] },
};

/** The regex literals of the board bundles built from src now (esp32 and esp8266, every profile). */
async function shippedRegexes(): Promise<Set<string>> {
  const found = new Set<string>();
  for (const [board, profiles] of [["esp32", ["tiny", "core", "full"]], ["esp8266", ["tiny", "core"]]] as const) {
    for (const profile of profiles) {
      const b = await buildBoardBundle(loadBoard(board), profile);
      const walk = (n: any): void => {
        if (!n || typeof n !== "object") return;
        if (Array.isArray(n)) return n.forEach(walk);
        if (n.type === "Literal" && n.regex) found.add(`/${n.regex.pattern}/${n.regex.flags}`);
        for (const k of Object.keys(n)) if (k !== "type") walk(n[k]);
      };
      walk(acorn.parse(b.code, { ecmaVersion: 5 }));
    }
  }
  return found;
}

function nativeOf(lit: string): RegExp {
  const i = lit.lastIndexOf("/");
  return new RegExp(lit.slice(1, i), lit.slice(i + 1));
}

/** Run one regex on the port and on V8: test, exec (non-global), match, replace with a function. */
function agree(lit: string, s: string): string | null {
  const re = nativeOf(lit);
  const mine = { source: re.source, flags: re.flags, lastIndex: 0 };
  const v8 = new RegExp(re.source, re.flags);
  const got = {
    test: E.test({ ...mine }, s),
    exec: ((m) => m && { a: [...m], i: m.index })(E.exec({ ...mine, flags: re.flags.replace("g", "") }, s)),
    match: ((m) => m && [...m])(E.strMatch(s, { ...mine }) as string[] | null),
    replace: E.replace(s, { ...mine }, (m: string) => "<" + m + ">"),
  };
  const want = {
    test: v8.test(s),
    exec: ((m) => m && { a: [...m], i: m.index })(new RegExp(re.source, re.flags.replace("g", "")).exec(s)),
    // (a global match that finds nothing is null in V8, [] on Espruino: both mean "none" to our code)
    match: ((m) => (m ? [...m] : re.global ? [] : null))(s.match(new RegExp(re.source, re.flags))),
    replace: s.replace(new RegExp(re.source, re.flags), (m: string) => "<" + m + ">"),
  };
  const a = JSON.stringify(got), b = JSON.stringify(want);
  return a === b ? null : `${lit} on ${JSON.stringify(s)}: Espruino ${a}, V8 ${b}`;
}

test("the regexes the board bundles ship are exactly the ones this test knows", async () => {
  assert.equal([...(await shippedRegexes())].sort(), Object.keys(SHIPPED).sort());
});

test("every shipped regex behaves on Espruino's engine as on V8 (fixed cases and 300 random strings each)", () => {
  for (const [lit, { alphabet, cases }] of Object.entries(SHIPPED)) {
    for (const s of cases) assert.is(agree(lit, s), null);
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 12 }), (chars) => {
        const s = chars.join("");
        return (lit == PEM && /[EY]-----$/.test(s)) || agree(lit, s) === null;
      }),
      { numRuns: 300, seed: 1 },
    );
  }
});

const PEM = "/[EY]-----([^-]+)/";

test("known difference: /[EY]-----([^-]+)/ on a text ending in \"E-----\" (a truncated PEM) matches on Espruino with an empty group", () => {
  // '+' tries zero repetitions when its character matches, and the end of the text reads as
  // char 0, which [^-] matches: so Espruino returns "" where V8 returns null (pemToDer then
  // gives atob("") = "" instead of throwing). A well-formed PEM always has a body after "-----".
  assert.equal(x(/[EY]-----([^-]+)/, "-----BEGIN CERTIFICATE-----"), { all: ["E-----", ""], index: 21 });
  assert.is(/[EY]-----([^-]+)/.exec("-----BEGIN CERTIFICATE-----"), null);
  assert.is(agree(PEM, "-----BEGIN CERTIFICATE-----\n"), null);
});

test("the shipped uses, as written in src, give the V8 results on Espruino's engine", () => {
  // src/codec/properties.ts: property names built with .replace(/\d/g, fn)
  const words = "Identifier Available Information Interval Subscription authentication Maximum request response Expiry".split(" ");
  const src = " payloadFormatIndicator message93 contentType     8Topic correlationData  subscription0      session93 assignedClient0";
  assert.is(E.replace(src, espruinoRe(/\d/g), (d: string) => words[+d]), src.replace(/\d/g, (d) => words[+d]));
  // src/client/topic.ts
  const validTopic = (s: string) => !!s && !E.test(espruinoRe(/[+#\0]/), s);
  const validFilter = (s: string) => !!s && !E.test(espruinoRe(/[^/][+#]|\+[^/]|#.|\0/), s);
  assert.equal(["a/b", "a/+", "", "#", "a\0"].map(validTopic), [true, false, false, false, false]);
  assert.equal(["a/+", "+", "#", "a/#", "+/+/#", "a+", "a/#/b", "#a", "", "a\0b", "sport/tennis+"].map(validFilter), [
    true, true, true, true, true, false, false, false, false, false, false,
  ]);
  assert.is(E.test(espruinoRe(/^[+#]/), "+/x"), true);
  assert.is(E.test(espruinoRe(/^[+#]/), "a/#"), false);
  // src/client/index.ts parseUrl: TLS when the scheme has an "s"
  assert.equal(["mqtt", "mqtts", "tcp", "tls", "ssl"].map((s) => E.test(espruinoRe(/s/), s)), [false, true, false, true, true]);
});

// ------------------------------------------------------------ the static lint

const LINT_CASES: [rule: string, pattern: string, flags?: string][] = [
  ["regex-flag", "a", "y"],
  ["regex-flag", "a", "m"],
  ["regex-optional", "ab?"],
  ["regex-optional", "\\(?"],
  ["regex-lazy", "a+?"],
  ["regex-lazy", "a*?"],
  ["regex-brace", "a{2}"],
  ["regex-group-syntax", "(?:ab)"],
  ["regex-group-syntax", "(?<n>a)"],
  ["regex-lookaround", "a(?=b)"],
  ["regex-lookaround", "(?<!a)b"],
  ["regex-backreference", "(a)\\1"],
  ["regex-word-boundary", "\\bword"],
  ["regex-word-boundary", "a\\B"],
  ["regex-escape", "\\u00e9"],
  ["regex-escape", "\\cJ"],
  ["regex-escape", "\\xg1"],
  ["regex-anchor", "a^"],
  ["regex-anchor", "^$|[+#]"],
  ["regex-range-high", "[^\\0-\\xff]"],
  ["regex-range-high", "[\\x80-\\x9f]"],
  ["regex-range", "[a-\\d]"],
  ["regex-range", "[a-a]"],
  ["regex-non-ascii", "caf\u00e9"],
  ["regex-non-ascii", "\\xe9"],
  ["regex-group-quantifier", "(ab)+"],
  ["regex-group-alternation", "(a|b)c"],
  ["regex-class-bracket", "[[]"],
  ["regex-groups", "(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)"],
];

test("the lint: one case per rule, each reported with its rule only", () => {
  for (const [rule, pattern, flags] of LINT_CASES) {
    assert.equal(checkRegex(pattern, flags).map((v) => v.rule), [rule], `/${pattern}/${flags || ""}`);
  }
  // every rule has a case
  assert.equal([...new Set(LINT_CASES.map((c) => c[0]))].sort(), Object.keys(REGEX_RULES).sort());
});

test("the lint accepts what Espruino runs like ECMAScript", () => {
  for (const p of ["[^\\0-\\x7f]", "[^\\x01-\\x7f]|[+#]", "^[+#]", "[^/][+#]|\\+[^/]|#.|\\0", "[EY]-----([^-]+)", "\\s", "a\\?b", "[?{]", "[\\b]", "x*y+", "a|b|", "\\d+\\.\\d*"]) {
    assert.equal(checkRegex(p, "gi"), [], p);
  }
  // a '^' after a '|' is not at the start: flagged
  assert.equal(checkRegex("a|^b").map((v) => v.rule), ["regex-anchor"]);
});

test("checkEs5 reports regex literals and RegExp(\"...\") calls with the pattern and the rule", () => {
  const code = 'var a = /^$|[+#]/.test(s), b = new RegExp("a?b", "g"), c = RegExp("[\\\\0-\\\\xff]"), d = /ok[+#]/;';
  const v = checkEs5(code);
  assert.equal(v.map((e) => e.rule), ["regex-anchor", "regex-optional", "regex-range-high"]);
  assert.match(v[0].detail, /^\/\^\$\|\[\+#\]\/: "\^" start with a top-level "\|"/);
  assert.match(v[1].detail, /^RegExp\("a\?b", "g"\): "\?" at 1/);
  assert.is(v[0].pos, code.indexOf("/^$"));
});

test("the current board bundles pass the lint (checkEs5 is clean)", async () => {
  for (const [board, profiles] of [["esp32", ["tiny", "core", "full"]], ["esp8266", ["tiny", "core"]], ["esp32c3", ["tiny", "core", "full"]]] as const) {
    for (const profile of profiles) {
      const b = await buildBoardBundle(loadBoard(board), profile);
      assert.equal(checkEs5(b.code).filter((v) => v.rule.startsWith("regex")), [], `${board}-${profile}`);
    }
  }
});

// ------------------------------------------------------------ Duktape

function needDuk(): boolean {
  if (hasDuk()) return true;
  if (process.env.CI === "true") assert.unreachable("duk (Duktape) is not installed (CI=true)");
  throw new Error("duk (Duktape) is not installed: apt-get install duktape");
}

test("Duktape: the install replaces exec/test/replace/match/split/search of RegExps, keeps string forms native", () => {
  needDuk();
  const r = runDuk(
    ESPRUINO_REGEX_DUK +
      `
print(/^$|[+#]/.test("a+"), /[+#]|^$/.test(""), /a+a/.test("a"), JSON.stringify("a1b22".match(/\\d/g)), JSON.stringify("ab".match(/x/g)));
print("a4:cf-12".replace(/[^0-9a-zA-Z]/g, ""), "a1b2".replace(/\\d/g, function (d, i) { return "<" + d + i + ">"; }), "ab".replace("a", "$&$&"));
print(JSON.stringify("1a2b3".split(/[^0-9]/)), JSON.stringify("a,b".split(",")), JSON.stringify(/(a)|b/.exec("b")));
var t = "no"; try { "ab".search(/b/); } catch (e) { t = e.message; } print(t, "ab".search("b"));
`,
  );
  assert.is(r.stderr, "");
  assert.equal(r.stdout.trim().split("\n"), [
    "false true true [\"1\",\"2\",\"2\"] []",
    "a4cf12 a<11>b<23> aab",
    "[\"1\",\"2\",\"3\"] [\"a\",\"b\"] [\"b\",\"\"]",
    "String.prototype.search does not exist on Espruino 1",
  ]);
});

test("Duktape: the stand-in and the check-bundles prelude both install the engine", () => {
  needDuk();
  for (const pre of [ESPRUINO_STANDIN_DUK, ESPRUINO_PRELUDE]) {
    const r = runDuk(pre + '\nprint(/^$|[+#]/.test("a+"));\n');
    assert.is(r.stderr, "");
    assert.is(r.stdout.trim(), "false");
  }
});


const URL_DRIVER = `
var log = [], hex = function (s) { var r = ""; for (var i = 0; i < s.length; i++) r += (s.charCodeAt(i) < 16 ? "0" : "") + s.charCodeAt(i).toString(16); return r; };
__standin.net.control.onConnect = function (peer) {
  log.push("dial " + peer.options.host + ":" + peer.options.port + " tls=" + !!peer.tls);
  peer.onData = function (s) {
    log.push("wire " + hex(s));
    if ((s.charCodeAt(0) >> 4) == 1) peer.send("\\x20\\x02\\x00\\x00");
  };
};
var m = exports.connect("mqtt://user:pw@broker:1884", { clientId: "dk", keepalive: 30 });
m.on("connect", function () {
  log.push("connect");
  m.publish("a/+", "x", function (err) { log.push("publish a/+ " + (err ? err.code : "ok")); });
  m.subscribe("a+", function (err) { log.push("subscribe a+ " + (err ? err.code : "ok")); });
  m.publish("a/b", "hi", function (err) { log.push("publish a/b " + (err ? err.code : "ok")); });
});
__standin.run(100);
print(log.join("\\n"));
print("violations " + __standin.violations.length);
`;

// the core bundle (src/core) and the full one (the class client) check topics and filters with regexes of their own
for (const profile of ["core", "full"] as const) {
  test(`Duktape: the esp32-${profile} bundle on Espruino's regex engine: URL with credentials and port, topic and filter checks`, async () => {
    needDuk();
    const b = await buildBoardBundle(loadBoard("esp32"), profile);
    // (full: a full battery on D35, so the configured keepalive applies)
    const r = runDuk(dukBundleScript(b.code, URL_DRIVER, { before: "var __standinOptions = { analog: { D35: 0.65 } };\n" }));
    assert.is(r.stderr || "", "");
    const hexs = (s: string) => Buffer.from(s, "latin1").toString("hex");
    // CONNECT 3.1.1: flags c2 (username, password, clean), keepalive 30, "dk", "user", "pw"
    const body = "00044d515454" + "04" + "c2" + "001e" + "0002" + hexs("dk") + "0004" + hexs("user") + "0002" + hexs("pw");
    assert.equal(r.stdout.trim().split("\n"), [
      "dial broker:1884 tls=false",
      "wire 10" + (body.length / 2).toString(16) + body,
      "connect",
      "publish a/+ BAD_TOPIC",
      "subscribe a+ BAD_FILTER",
      // PUBLISH QoS 0 "a/b" "hi": done once written
      "publish a/b ok",
      "wire 3007" + "0003" + hexs("a/b") + hexs("hi"),
      "violations 0",
    ]);
  });
}

test.run();
