/**
 * npm run size: board x profile -> minified bytes, gzip bytes, budget, pass/FAIL,
 * against the reference Espruino MQTT clients. Exits 1 when a budget is exceeded.
 * `--markdown` also rewrites the table in README.md between
 * `<!-- size:start -->` and `<!-- size:end -->`. `--ratchet` lowers each
 * board's size ceiling (boards/<id>.json `wren.ceilings`, which `npm test`
 * holds the bundles to) to the size reached, rounded up to 10 bytes.
 */
import * as fs from "node:fs";
import { gzipSync } from "node:zlib";
import { pathToFileURL } from "node:url";
import { loadBoards, type Profile } from "./lib/boards";
import { bundleEspruino, bundlePath } from "./lib/bundle";
import { repoPath } from "./lib/paths";
import { buildAll } from "./build";

/** Minified sizes of the Espruino MQTT modules wren-mqtt is measured against. */
export const REFERENCES = [
  { name: "tinyMQTT", bytes: 1793, compare: "tiny" as Profile },
  { name: "Espruino MQTT", bytes: 6169, compare: "core" as Profile },
];

export interface SizeRow {
  board: string;
  profile: Profile;
  bytes: number;
  gzip: number;
  budget: number;
  pass: boolean;
}

export function measure(): SizeRow[] {
  const rows: SizeRow[] = [];
  for (const b of loadBoards()) {
    if (b.wren.hal !== "espruino") continue;
    for (const p of b.wren.profiles) {
      const f = bundlePath(b.id, p);
      if (!fs.existsSync(f)) throw new Error(`missing ${b.id}-${p} bundle: run npm run build`);
      const code = fs.readFileSync(f);
      const budget = b.wren.budgets[p] ?? Infinity;
      rows.push({ board: b.id, profile: p, bytes: code.length, gzip: gzipSync(code, { level: 9 }).length, budget, pass: code.length <= budget });
    }
  }
  return rows;
}

const n = (x: number) => (isFinite(x) ? x.toLocaleString("en-US") : "-");

/** Ratio of a bundle to the reference of its profile, e.g. "0.71x tinyMQTT". */
export function ratioText(r: SizeRow): string {
  const ref = REFERENCES.find((x) => x.compare === r.profile) ?? (r.profile === "full" ? REFERENCES[1] : undefined);
  return ref ? `${(r.bytes / ref.bytes).toFixed(2)}x ${ref.name}` : "";
}

export function textTable(rows: SizeRow[]): string {
  const head = ["board", "profile", "minified B", "gzip B", "budget B", "result", "vs reference"];
  const body = rows.map((r) => [r.board, r.profile, n(r.bytes), n(r.gzip), n(r.budget), r.pass ? "pass" : "FAIL", ratioText(r)]);
  const all = [head, ...body];
  const w = head.map((_, i) => Math.max(...all.map((row) => row[i].length)));
  const line = (row: string[]) => row.map((c, i) => (i >= 2 && i <= 4 ? c.padStart(w[i]) : c.padEnd(w[i]))).join("  ").trimEnd();
  const refs = REFERENCES.map((x) => `${x.name} ${n(x.bytes)} B`).join(", ");
  return [line(head), ...body.map(line), "", `references (minified): ${refs}`].join("\n");
}

/** `floors`: the floors' bytes (see sizeFloor), said under the table when given. */
export function markdownTable(rows: SizeRow[], floors?: { tiny: number; core: number }): string {
  const out = [
    "| board | profile | minified (B) | gzip (B) | budget (B) | result | vs reference |",
    "| --- | --- | ---: | ---: | ---: | --- | --- |",
    ...rows.map((r) => `| ${r.board} | ${r.profile} | ${n(r.bytes)} | ${n(r.gzip)} | ${n(r.budget)} | ${r.pass ? "pass" : "**FAIL**"} | ${ratioText(r)} |`),
    "",
    `References (minified): ${REFERENCES.map((x) => `${x.name} ${n(x.bytes)} B`).join(", ")}.`,
  ];
  if (floors)
    out.push(
      "",
      `Floors under the budgets: tiny ${n(floors.tiny)} B, core ${n(floors.core)} B: each profile's feature list with no ` +
        "input checks, no error reports, no UTF-8 and no queue policies (`scripts/size-floor/`, never shipped).",
    );
  return out.join("\n");
}

export const MARK_START = "<!-- size:start -->";
export const MARK_END = "<!-- size:end -->";

/** Replace the text between the size markers; throws when they are missing. */
export function replaceBetweenMarkers(doc: string, table: string): string {
  const a = doc.indexOf(MARK_START);
  const b = doc.indexOf(MARK_END);
  if (a < 0 || b < 0 || b < a) throw new Error(`README.md has no ${MARK_START} ... ${MARK_END} markers`);
  return doc.slice(0, a + MARK_START.length) + "\n" + table + "\n" + doc.slice(b);
}

/** Lower (never raise) the size ceilings in boards/<id>.json to the sizes reached. */
export function ratchet(rows: SizeRow[]): void {
  for (const id of Array.from(new Set(rows.map((r) => r.board)))) {
    const file = repoPath("boards", id + ".json");
    const json = JSON.parse(fs.readFileSync(file, "utf8"));
    const ceilings: Record<string, number> = json.wren.ceilings || {};
    for (const r of rows.filter((x) => x.board === id)) {
      const reached = Math.ceil(r.bytes / 10) * 10;
      if (!(ceilings[r.profile] <= reached)) ceilings[r.profile] = reached;
    }
    json.wren.ceilings = ceilings;
    fs.writeFileSync(file, JSON.stringify(json, null, 1) + "\n");
  }
  console.log("size ceilings lowered to the sizes reached");
}

/**
 * The floors under the tiny and core budgets: scripts/size-floor/<profile>.ts
 * (the profile's feature list with every check, error report and policy left
 * out) built the way the bundles are. Minified bytes.
 */
export async function sizeFloor(profile: "tiny" | "core"): Promise<number> {
  const b = await bundleEspruino({ entry: repoPath("scripts/size-floor/" + profile + ".ts"), defines: {} });
  return Buffer.byteLength(b.code);
}

async function main(): Promise<void> {
  const markdown = process.argv.includes("--markdown");
  await buildAll({ quiet: true });
  const rows = measure();
  console.log(textTable(rows));
  const floors = { tiny: await sizeFloor("tiny"), core: await sizeFloor("core") };
  for (const p of ["tiny", "core"] as const) {
    const budget = Math.min(...rows.filter((r) => r.profile === p).map((r) => r.budget));
    console.log(
      `${p} floor: ${n(floors[p])} B (budget ${n(budget)} B): the ${p} feature list with no checks, error reports or policies ` +
        `(scripts/size-floor/${p}.ts, never shipped)`,
    );
  }
  if (process.argv.includes("--ratchet")) ratchet(rows);
  if (markdown) {
    const readme = repoPath("README.md");
    const doc = fs.readFileSync(readme, "utf8");
    fs.writeFileSync(readme, replaceBetweenMarkers(doc, markdownTable(rows, floors)));
    console.log("README.md size table updated");
  }
  const bad = rows.filter((r) => !r.pass);
  if (bad.length) {
    console.error(`size: ${bad.length} bundle(s) over budget: ${bad.map((r) => `${r.board}-${r.profile} ${r.bytes} > ${r.budget}`).join(", ")}`);
    process.exit(1);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    console.error("size:", e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
