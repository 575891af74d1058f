/**
 * Espruino Storage with whole-record atomicity.
 *
 * Espruino's Storage.write is not atomic: replacing a file first marks the
 * old one deleted, then writes the new header and data (jsfWriteFile in
 * src/jsflash.c). A reset in between loses the record or leaves a torn one
 * (unwritten flash reads 0xFF). So each record lives in two files, name+"0"
 * and name+"1", written alternately; each holds
 *   [seq][payload...][fletcher16 hi][fletcher16 lo]
 * with the checksum over seq+payload. read() takes the valid copy with the
 * newer seq (mod 256); write() overwrites the other (older or invalid) one.
 * A torn write can never pass the check: its checksum bytes are still 0xFF,
 * and Fletcher-16 bytes are at most 254. Names are at most 24 characters
 * (the HAL limit) + 1 <= 28 (Espruino's). Needed by PERSIST only.
 */
import type { Storage } from "../hal";

declare const E: {
  toUint8Array(s: string): Uint8Array;
  toString(b: Uint8Array): string | undefined;
};

/**
 * Fletcher-16 of u without its last two bytes, written into those two bytes
 * (hi, lo; each 0..254). Returns whether they held it already, i.e. whether a
 * copy read back is valid (it is a copy: overwriting it is harmless).
 */
function seal(u: Uint8Array): boolean {
  for (var n = u.length - 2, a = 0, b = 0, i = 0, ok; i < n; i++) {
    a = (a + u[i]) % 255;
    b = (b + a) % 255;
  }
  ok = u[n] == b && u[n + 1] == a;
  u[n] = b;
  u[n + 1] = a;
  return ok;
}

export function espruinoStorage(): Storage {
  var S = require("Storage");
  // The newest valid copy found by the last newest() call, or 0.
  var cur: any;
  // Looks at both slots; sets `cur`; returns the slot to write next: the
  // other one than `cur`'s (0 when there is no valid copy).
  var newest = function (name: string): number {
    var i = 0,
      next = 0,
      s,
      u;
    for (cur = 0; i < 2; i++) {
      s = S.read(name + i);
      // Valid, and newer (mod 256) than slot 0's copy; on a tie slot 0 wins.
      if (s && s.length > 2 && seal((u = E.toUint8Array(s))) && (!cur || ((cur[0] - u[0]) & 255) > 127)) {
        cur = u;
        next = 1 - i;
      }
    }
    return next;
  };
  return {
    read: function (name) {
      newest(name);
      if (cur) return cur.subarray(1, cur.length - 2);
    },
    write: function (name, data) {
      var i = newest(name);
      var u = new Uint8Array(data.length + 3);
      u[0] = cur ? cur[0] + 1 : 0; // wraps at 256
      u.set(data, 1);
      seal(u);
      // Into the slot not holding the newest copy: that one stays valid.
      S.write(name + i, E.toString(u));
    },
    erase: function (name) {
      S.erase(name + 0);
      S.erase(name + 1);
    },
  };
}
