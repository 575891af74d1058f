/** In-memory Storage with counters, for tests and the simulator (flash wear). */
import { wrenError } from "../../errors";
import type { Storage } from "../hal";

/** Record names follow the HAL contract: 1..24 printable ASCII characters. */
export function checkName(name: string): void {
  if (typeof name !== "string" || !/^[\x21-\x7e]{1,24}$/.test(name)) throw wrenError("STORAGE_NAME", JSON.stringify(name));
}

export interface MemoryStorage extends Storage {
  /** Current record names, sorted. */
  names(): string[];
  /** Number of write calls and bytes written so far (flash wear accounting). */
  readonly writes: number;
  readonly bytesWritten: number;
  readonly erases: number;
  /** Drop everything (a factory reset). */
  clear(): void;
}

export function memoryStorage(initial?: Record<string, Uint8Array>): MemoryStorage {
  // Object.create(null): record names like "__proto__" stay plain keys.
  let recs: Record<string, Uint8Array> = Object.create(null);
  const st = {
    writes: 0,
    bytesWritten: 0,
    erases: 0,
    // Copies both ways: a record is a snapshot, as on flash.
    read: (name: string) => (checkName(name), name in recs ? recs[name].slice() : undefined),
    write(name: string, data: Uint8Array) {
      checkName(name);
      recs[name] = data.slice();
      st.writes++;
      st.bytesWritten += data.length;
    },
    erase(name: string) {
      checkName(name);
      if (name in recs) {
        delete recs[name];
        st.erases++;
      }
    },
    names: () => Object.keys(recs).sort(),
    clear() {
      recs = Object.create(null);
    },
  };
  if (initial) for (const k of Object.keys(initial)) recs[k] = initial[k].slice();
  return st;
}
