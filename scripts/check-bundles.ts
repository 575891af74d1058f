/**
 * npm run check:bundles: every dist/<board>-<profile>.js must
 *  1. parse as ES5 and use no global/static member Espruino lacks, no labels;
 *  2. evaluate as an Espruino module in Duktape (stand-in `require("net")`...)
 *     and export `connect`;
 * and a codec-only bundle built the same way (ES5, minified, mangled) must
 * encode a PUBLISH and decode it back in Duktape with the exact expected
 * output. The real bundles expose no codec surface: the round trip uses its
 * own bundle so the shipped ones stay minimal.
 *
 * Exits 1 on any violation. Without `duk`: fails when CI=true, else warns.
 */
import * as fs from "node:fs";
import { pathToFileURL } from "node:url";
import { checkEs5, formatViolation } from "./lib/es5check";
import { hasDuk, moduleLoadScript, runDuk, ESPRUINO_PRELUDE } from "./lib/duk";
import { bundleEspruino, profileDefines } from "./lib/bundle";
import { repoPath, rel, ROOT } from "./lib/paths";
import { buildAll } from "./build";

/** Entry of the codec round-trip bundle (built from stdin, resolved from the repo root). */
export const CODEC_ENTRY = `
import { encode, Decoder } from "./src/codec/index";
exports.encode = encode;
exports.Decoder = Decoder;
`;

/**
 * Duktape script: encode a PUBLISH (3.1.1, then 5.0 with a property) with the
 * bundle's encoder, push it split in two chunks through its Decoder, print both.
 */
export const ROUND_TRIP = `
var c = exports;
function hex(u) { var s = ""; for (var i = 0; i < u.length; i++) s += (u[i] < 16 ? "0" : "") + u[i].toString(16); return s; }
function rt(v, pkt) {
  var e = c.encode(pkt, v);
  if (typeof e == "string") { print("v" + v + " encode error " + e); return; }
  var bytes = new Uint8Array(e); // the encoder returns a view of its reused buffer
  print("v" + v + " encoded " + hex(bytes));
  var n = 0;
  var d = new c.Decoder(v, 1000, {
    onPacket: function (p) {
      n++;
      print("v" + v + " decoded type=" + p.type + " topic=" + p.topic + " qos=" + p.qos + " retain=" + p.retain +
        " dup=" + p.dup + " id=" + p.messageId + " payload=" + hex(p.payload) +
        (p.properties ? " contentType=" + p.properties.contentType : ""));
    },
    onError: function (err) { print("v" + v + " decode error " + err.code); }
  });
  d.push(bytes.subarray(0, 3));
  d.push(bytes.subarray(3));
  print("v" + v + " packets " + n);
}
rt(4, { type: 3, topic: "wren/t", payload: new Uint8Array([1, 2, 3, 255]), qos: 1, retain: true, dup: false, messageId: 10 });
rt(5, { type: 3, topic: "wren/t", payload: new Uint8Array([1, 2, 3, 255]), qos: 1, retain: true, dup: false, messageId: 10, properties: { contentType: "t" } });
`;

/** Bytes worked out by hand from [MQTT-3.3] (and checked against mqtt-packet in test/build-bundles.test.ts). */
export const ROUND_TRIP_EXPECTED = [
  "v4 encoded 330e00067772656e2f74000a010203ff",
  "v4 decoded type=3 topic=wren/t qos=1 retain=true dup=false id=10 payload=010203ff",
  "v4 packets 1",
  "v5 encoded 331300067772656e2f74000a0403000174010203ff",
  "v5 decoded type=3 topic=wren/t qos=1 retain=true dup=false id=10 payload=010203ff contentType=t",
  "v5 packets 1",
].join("\n");

/** The full Duktape script of the round trip for a built codec bundle. */
export function codecScript(bundle: string): string {
  return ESPRUINO_PRELUDE + "var exports = {};\n(function (exports) {\n" + bundle + "\n})(exports);\n" + ROUND_TRIP;
}

/** Build the codec-only bundle exactly like the board bundles (full profile). */
export function buildCodecBundle() {
  return bundleEspruino({ stdin: { contents: CODEC_ENTRY, resolveDir: ROOT }, defines: profileDefines("full") });
}

export interface CheckResult {
  failures: string[];
  warnings: string[];
  checked: string[];
}

export function listBundles(): string[] {
  const dist = repoPath("dist");
  if (!fs.existsSync(dist)) return [];
  return fs
    .readdirSync(dist)
    .filter((f) => f.endsWith(".js"))
    .sort()
    .map((f) => repoPath("dist", f));
}

export async function checkBundles(opts: { ci?: boolean } = {}): Promise<CheckResult> {
  const ci = opts.ci ?? process.env.CI === "true";
  const res: CheckResult = { failures: [], warnings: [], checked: [] };
  let files = listBundles();
  if (files.length === 0) {
    await buildAll({ quiet: true });
    files = listBundles();
  }
  if (files.length === 0) res.failures.push("no bundles in dist/ (npm run build)");

  const duk = hasDuk();
  if (!duk) {
    const msg = "duk (Duktape) not found: bundles were NOT run (apt-get install duktape)";
    (ci ? res.failures : res.warnings).push(msg);
  }

  for (const f of files) {
    const name = rel(f);
    const code = fs.readFileSync(f, "utf8");
    for (const v of checkEs5(code)) res.failures.push(`${name}: ${formatViolation(code, v)}`);
    if (duk) {
      const r = runDuk(moduleLoadScript(code));
      const exp = /^exports: (.*)$/m.exec(r.stdout);
      if (r.status !== 0 || !exp) {
        res.failures.push(`${name}: does not evaluate in duk (exit ${r.status}): ${(r.stderr || r.stdout).trim().slice(0, 400)}`);
      } else if (!exp[1].split(",").includes("connect")) {
        res.failures.push(`${name}: evaluates but exports no "connect" (exports: ${exp[1] || "none"})`);
      }
    }
    res.checked.push(name);
  }

  // Codec round trip in Duktape, through a bundle built exactly like the real ones.
  if (!fs.existsSync(repoPath("src/codec/index.ts"))) {
    (ci ? res.failures : res.warnings).push("src/codec/index.ts missing: codec round trip NOT run");
  } else {
    try {
      const b = await buildCodecBundle();
      for (const v of checkEs5(b.code)) res.failures.push(`codec bundle: ${formatViolation(b.code, v)}`);
      if (duk) {
        const script = codecScript(b.code);
        const r = runDuk(script);
        const out = r.stdout.trim();
        if (r.status !== 0 || out !== ROUND_TRIP_EXPECTED) {
          res.failures.push(
            `codec round trip in duk: exit ${r.status}\n--- expected\n${ROUND_TRIP_EXPECTED}\n--- got\n${out}\n${r.stderr.trim()}`,
          );
        }
      }
      res.checked.push("codec round trip");
    } catch (e) {
      res.failures.push("codec bundle: " + (e instanceof Error ? e.message : String(e)));
    }
  }
  return res;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  checkBundles().then(
    (r) => {
      for (const c of r.checked) console.log(`  checked ${c}`);
      for (const w of r.warnings) console.warn(`\n!!! WARNING: ${w} !!!\n`);
      for (const f of r.failures) console.error(`FAIL ${f}`);
      if (r.failures.length) {
        console.error(`check:bundles: ${r.failures.length} problem(s)`);
        process.exit(1);
      }
      console.log(`check:bundles: ${r.checked.length} checks passed`);
    },
    (e) => {
      console.error("check:bundles crashed:", e);
      process.exit(1);
    },
  );
}
