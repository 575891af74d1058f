/** In-memory Storage with counters, for tests and the simulator (flash wear). */
import type { Storage } from "../hal";

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
    read: (name: string) => (name in recs ? recs[name].slice() : undefined),
    write(name: string, data: Uint8Array) {
      recs[name] = data.slice();
      st.writes++;
      st.bytesWritten += data.length;
    },
    erase(name: string) {
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
