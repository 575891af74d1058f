/**
 * Board profiles (boards/<id>.json). Each file is both an Espruino board JSON
 * (info/chip/devices/pins/peripherals, so `espruino --board boards/x.json`
 * works offline) and wren-mqtt's profile for the board under `wren`.
 */
import * as fs from "node:fs";
import { repoPath } from "./paths";

export type Profile = "tiny" | "core" | "full";
export const PROFILES: readonly Profile[] = ["tiny", "core", "full"];

export interface PowerModel {
  supplyV: number;
  cpu_mA: number;
  tx_mA: number;
  rx_mA: number;
  modemSleep_mA: number;
  lightSleep_mA: number;
  deepSleep_mA: number;
  wifiConnect_ms: number;
  wifiConnect_mA: number;
  sources: string;
}

export interface WrenBoard {
  hal: "espruino" | "node";
  features: { tls: boolean; storage: boolean; deepSleep: boolean; battery: boolean; unicode: boolean };
  /** Feature profiles built for this board. */
  profiles: Profile[];
  /** Minified-size budget per profile, bytes: the target `npm run size` enforces. */
  budgets: Partial<Record<Profile, number>>;
  /**
   * Size reached so far per profile, bytes: `npm test` fails when a bundle
   * grows past it (a ratchet while a budget is not met yet). Lower it with
   * `npm run size -- --ratchet` after a bundle shrinks; never raise it by hand
   * without saying why.
   */
  ceilings: Partial<Record<Profile, number>>;
  /** Espruino variable store: number of JsVar blocks and bytes per block. */
  ram: { blocks: number; blockSize: number; sources: string } | null;
  /** Upload limits: share of the variable store the uploaded code may take in RAM mode. */
  upload: { ramFraction: number } | null;
  defaults: { keepalive: number; maxPacketSize: number; queueMax: number; queueBytes: number; inflightMax: number };
  battery: { pin: string; divider: number; vFull: number; vEmpty: number; vRef: number } | null;
  power: PowerModel | null;
}

export interface Board {
  id: string;
  info: { name: string; binary_version?: string; builtin_modules?: string[]; [k: string]: unknown };
  chip: {
    family: string;
    saved_code?: { address: number; page_size: number; pages: number; flash_available?: number };
    [k: string]: unknown;
  };
  wren: WrenBoard;
  [k: string]: unknown;
}

export const BOARDS_DIR = repoPath("boards");

export function boardIds(): string[] {
  return fs
    .readdirSync(BOARDS_DIR)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -5))
    .sort();
}

export function boardFile(id: string): string {
  return repoPath("boards", id + ".json");
}

/** Load one board; throws an Error with code UNKNOWN_BOARD listing the known ones. */
export function loadBoard(id: string): Board {
  const ids = boardIds();
  if (!ids.includes(id)) {
    const e = new Error(`UNKNOWN_BOARD: unknown board "${id}"; known boards: ${ids.join(", ")}`) as Error & { code: string };
    e.code = "UNKNOWN_BOARD";
    throw e;
  }
  const b = JSON.parse(fs.readFileSync(boardFile(id), "utf8")) as Board;
  b.id = id;
  return b;
}

export function loadBoards(): Board[] {
  return boardIds().map(loadBoard);
}

/** Bytes of Storage (flash) Espruino has for files on this board, or Infinity when unbounded. */
export function flashBytes(b: Board): number {
  const s = b.chip.saved_code;
  return s ? s.page_size * s.pages : Infinity;
}

/** Rough JsVar blocks a string of `chars` characters takes when held in RAM. */
export function blocksForChars(b: Board, chars: number): number {
  if (!b.wren.ram) return 0;
  // A string's first block holds ~4 chars fewer than a JsVar, each StringExt
  // block about blockSize-1 chars (Espruino src/jsvar.h); use blockSize-3 to
  // stay on the safe side.
  return Math.ceil(chars / Math.max(1, b.wren.ram.blockSize - 3)) + 1;
}
