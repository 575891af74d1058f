/**
 * npm run flash -- --board esp32 --port /dev/ttyUSB0 [--profile core] [--storage]
 *                  [--dry-run out.js] [--verbose] [app.js]
 *
 * Uploads the board's wren-mqtt bundle plus the app through the `espruino`
 * package (see scripts/lib/espruino-tool.ts), offline:
 * - default (RAM): `Modules.addCached("wren-mqtt",function(){...})` then the app;
 * - --storage: the bundle as Storage file "wren-mqtt" and the app as
 *   ".bootcde", so both run from flash and survive a reboot;
 * - --dry-run FILE: write exactly the code the tool would send (its `-o`
 *   output) and stop; no board or port needed.
 * Ports: a serial device path or tcp://host:port.
 */
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { blocksForChars, boardIds, flashBytes, loadBoard, PROFILES, type Board, type Profile } from "./lib/boards";
import { buildBoardBundle } from "./lib/bundle";
import { prepareCode, storageBootPrefix, upload } from "./lib/espruino-tool";

export class FlashError extends Error {
  constructor(public code: string, detail: string) {
    super(`${code}: ${detail}`);
  }
}

const USAGE = "usage: npm run flash -- --board <" + boardIds().join("|") + "> --port <path|tcp://host:port> [--profile tiny|core|full] [--storage] [--dry-run out.js] [--verbose] [app.js]";

export interface FlashArgs {
  board: string;
  port?: string;
  profile: Profile;
  storage: boolean;
  dryRun?: string;
  app?: string;
  verbose: boolean;
}

export function parseFlashArgs(argv: string[]): FlashArgs {
  let v;
  try {
    v = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        board: { type: "string" },
        port: { type: "string", short: "p" },
        profile: { type: "string" },
        storage: { type: "boolean", default: false },
        "dry-run": { type: "string" },
        verbose: { type: "boolean", short: "v", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (e) {
    throw new FlashError("BAD_ARGS", (e as Error).message + "\n" + USAGE);
  }
  const o = v.values;
  if (o.help) throw new FlashError("HELP", USAGE);
  if (!o.board) throw new FlashError("MISSING_BOARD", "--board is required; known boards: " + boardIds().join(", "));
  if (v.positionals.length > 1) throw new FlashError("BAD_ARGS", "one app file at most, got " + v.positionals.join(" "));
  const profile = (o.profile || "core") as Profile;
  if (!PROFILES.includes(profile)) throw new FlashError("UNKNOWN_PROFILE", `unknown profile "${profile}"; profiles: ${PROFILES.join(", ")}`);
  if (!o.port && !o["dry-run"]) throw new FlashError("MISSING_PORT", "--port is required (serial path or tcp://host:port), unless --dry-run FILE is given");
  return { board: o.board, port: o.port, profile, storage: !!o.storage, dryRun: o["dry-run"], app: v.positionals[0], verbose: !!o.verbose };
}

function resolveBoard(a: FlashArgs): Board {
  let b: Board;
  try {
    b = loadBoard(a.board);
  } catch (e) {
    throw new FlashError("UNKNOWN_BOARD", `unknown board "${a.board}"; known boards: ${boardIds().join(", ")}`);
  }
  if (b.wren.hal !== "espruino") {
    const ok = boardIds().filter((id) => loadBoard(id).wren.hal === "espruino");
    throw new FlashError("NOT_FLASHABLE", `board "${a.board}" is not an Espruino board; flashable: ${ok.join(", ")}`);
  }
  if (!b.wren.profiles.includes(a.profile)) {
    throw new FlashError("UNKNOWN_PROFILE", `board "${a.board}" has no "${a.profile}" profile; it has: ${b.wren.profiles.join(", ")}`);
  }
  return b;
}

/** Fail before sending anything when bundle + app cannot fit the board. */
export function checkFits(b: Board, a: FlashArgs, bundle: string, app: string): void {
  if (a.storage) {
    // Each Storage file: 32-byte header, data padded to 4 bytes (Espruino src/jsflash.h).
    // Files already on the board are not known here: this is the best case.
    const file = (n: number) => 32 + ((n + 3) & ~3);
    const need = file(bundle.length) + file(storageBootPrefix().length + app.length);
    const have = flashBytes(b);
    if (need > have) {
      throw new FlashError("TOO_LARGE", `bundle ${bundle.length} B + app ${app.length} B need ${need} B of Storage; ${b.id} has ${have} B`);
    }
  } else if (b.wren.ram && b.wren.upload) {
    const blocks = blocksForChars(b, bundle.length) + blocksForChars(b, app.length);
    const limit = Math.floor(b.wren.ram.blocks * b.wren.upload.ramFraction);
    if (blocks > limit) {
      throw new FlashError(
        "TOO_LARGE",
        `bundle ${bundle.length} B + app ${app.length} B take ~${blocks} of ${b.wren.ram.blocks} variable blocks in RAM; ` +
          `at most ${limit} (${Math.round(b.wren.upload.ramFraction * 100)}%) may go to code on ${b.id}. ` +
          `Try --storage, a smaller --profile, or a smaller app.`,
      );
    }
  }
}

export async function flash(argv: string[]): Promise<{ code: string; wrote?: string; received?: string }> {
  const a = parseFlashArgs(argv);
  const board = resolveBoard(a);
  let app = "";
  if (a.app) {
    if (!fs.existsSync(a.app)) throw new FlashError("APP_NOT_FOUND", `app file ${a.app} not found`);
    app = fs.readFileSync(a.app, "utf8");
  }
  const bundle = (await buildBoardBundle(board, a.profile)).code;
  checkFits(board, a, bundle, app);
  const code = await prepareCode({ board, bundle, app, storage: a.storage, verbose: a.verbose });
  if (a.dryRun) {
    fs.writeFileSync(a.dryRun, code, "binary");
    console.log(`dry run: ${code.length} B for ${board.id}-${a.profile}${a.storage ? " (Storage)" : " (RAM)"} written to ${a.dryRun}`);
    return { code, wrote: a.dryRun };
  }
  console.log(`uploading ${board.id}-${a.profile} (${bundle.length} B) + app (${app.length} B) to ${a.port}${a.storage ? " into Storage" : ""}`);
  const received = await upload(a.port!, code, a.verbose);
  if (a.verbose) process.stdout.write(received);
  console.log("upload complete");
  return { code, received };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  flash(process.argv.slice(2)).then(
    () => process.exit(0),
    (e) => {
      if (e instanceof FlashError && e.code === "HELP") {
        console.log(e.message.slice(6));
        process.exit(0);
      }
      console.error("flash: " + (e instanceof Error ? e.message : String(e)));
      process.exit(1);
    },
  );
}
