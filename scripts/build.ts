/**
 * npm run build: every Espruino board x profile -> dist/<board>-<profile>.js
 * (ES5, minified), and the Node library -> dist/node/index.js. All in-process
 * (esbuild + TypeScript APIs). Also measures what `_` property mangling saves.
 */
import * as fs from "node:fs";
import { pathToFileURL } from "node:url";
import { loadBoards, type Profile } from "./lib/boards";
import { buildBoardBundle, buildNode, bundlePath } from "./lib/bundle";
import { repoPath, rel } from "./lib/paths";

export interface BuildSummary {
  bundles: { board: string; profile: Profile; file: string; bytes: number; bytesUnmangled: number; helpers: string[] }[];
  nodeBytes: number;
  ms: number;
}

export async function buildAll(opts: { quiet?: boolean } = {}): Promise<BuildSummary> {
  const t0 = performance.now();
  const log = opts.quiet ? () => {} : (s: string) => console.log(s);
  const dist = repoPath("dist");
  fs.mkdirSync(dist, { recursive: true });
  // Stale bundles (a profile dropped from a board) must not linger.
  for (const f of fs.readdirSync(dist)) if (f.endsWith(".js")) fs.rmSync(repoPath("dist", f));

  const jobs = loadBoards()
    .filter((b) => b.wren.hal === "espruino")
    .flatMap((b) => b.wren.profiles.map((p) => ({ board: b, profile: p })));
  const results = await Promise.all(
    jobs.map(async ({ board, profile }) => {
      const [m, u] = await Promise.all([buildBoardBundle(board, profile, true), buildBoardBundle(board, profile, false)]);
      const file = bundlePath(board.id, profile);
      fs.writeFileSync(file, m.code);
      return { board: board.id, profile, file, bytes: Buffer.byteLength(m.code), bytesUnmangled: Buffer.byteLength(u.code), helpers: m.helpers, warnings: m.warnings };
    }),
  );
  const nodeBytes = await buildNode();
  const ms = performance.now() - t0;

  for (const r of results) {
    log(`  ${rel(r.file).padEnd(24)} ${String(r.bytes).padStart(6)} B` + (r.helpers.length ? `  (ES5 helpers: ${r.helpers.join(", ")})` : ""));
    for (const w of r.warnings) log(`    warning: ${w}`);
  }
  log(`  ${"dist/node/index.js".padEnd(24)} ${String(nodeBytes).padStart(6)} B  (ESM, not minified)`);
  const saved = results.reduce((s, r) => s + (r.bytesUnmangled - r.bytes), 0);
  const all = results.reduce((s, r) => s + r.bytesUnmangled, 0);
  log(`mangleProps /^_/ saves ${saved} B over ${results.length} bundles (${all ? ((100 * saved) / all).toFixed(1) : "0.0"}%)`);
  log(`built ${results.length + 1} bundles in ${Math.round(ms)} ms`);
  return { bundles: results, nodeBytes, ms };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildAll().catch((e) => {
    console.error("build failed:", e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
