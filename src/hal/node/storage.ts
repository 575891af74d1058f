/** Node Storage: one file per record in a directory, replaced atomically. */
import * as fs from "node:fs";
import * as path from "node:path";
import { checkName } from "../memory/storage";
import type { Storage } from "../hal";

let seq = 0;

// Keep names readable but filesystem-safe: escape everything except [A-Za-z0-9._-].
function fileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, (c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0"));
}

/**
 * Records as files in `dir` (created on first write). `write` writes a
 * temporary file in the same directory, fsyncs it and renames it over the
 * record: rename is atomic on POSIX, so a crash leaves the old or the new
 * record, never a mix (the HAL Storage contract). `read` returns a fresh copy.
 */
export function fileStorage(dir: string): Storage {
  const file = (name: string) => {
    checkName(name);
    return path.join(dir, fileName(name));
  };
  return {
    read(name) {
      try {
        return new Uint8Array(fs.readFileSync(file(name)));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw e;
      }
    },
    write(name, data) {
      const target = file(name);
      fs.mkdirSync(dir, { recursive: true });
      const tmp = target + ".tmp-" + process.pid + "-" + ++seq;
      const fd = fs.openSync(tmp, "w");
      try {
        fs.writeSync(fd, data);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      try {
        fs.renameSync(tmp, target);
      } catch (e) {
        fs.rmSync(tmp, { force: true });
        throw e;
      }
      // Make the rename itself durable (POSIX; not possible on Windows).
      try {
        const d = fs.openSync(dir, "r");
        try {
          fs.fsyncSync(d);
        } finally {
          fs.closeSync(d);
        }
      } catch {}
    },
    erase(name) {
      fs.rmSync(file(name), { force: true });
    },
  };
}
