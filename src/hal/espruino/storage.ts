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

/** Fletcher-16 over u[0..n): two bytes, each 0..254. */
function fletcher(u: Uint8Array, n: number): number {
  for (var a = 0, b = 0, i = 0; i < n; i++) {
    a = (a + u[i]) % 255;
    b = (b + a) % 255;
  }
  return (b << 8) | a;
}

export function espruinoStorage(): Storage {
  var S = require("Storage");
  // The valid copy in slot i, or undefined.
  var get = function (name: string, i: number): Uint8Array | undefined {
    var s = S.read(name + i);
    if (s && s.length > 2) {
      var u = E.toUint8Array(s);
      var n = u.length - 2;
      if (fletcher(u, n) == ((u[n] << 8) | u[n + 1])) return u;
    }
  };
  // Index (0/1) of the newest valid copy, or -1.
  var newest = function (name: string): number {
    var a = get(name, 0);
    var b = get(name, 1);
    return a && (!b || ((a[0] - b[0]) & 255) < 128) ? 0 : b ? 1 : -1;
  };
  return {
    read: function (name) {
      var i = newest(name);
      if (i >= 0) {
        var u = get(name, i)!;
        return u.subarray(1, u.length - 2);
      }
    },
    write: function (name, data) {
      var i = newest(name);
      var n = data.length + 1;
      var u = new Uint8Array(n + 2);
      u[0] = i < 0 ? 0 : get(name, i)![0] + 1;
      u.set(data, 1);
      var c = fletcher(u, n);
      u[n] = c >> 8;
      u[n + 1] = c & 255;
      // Into the slot not holding the newest copy: that one stays valid.
      S.write(name + (i == 0 ? 1 : 0), E.toString(u));
    },
    erase: function (name) {
      S.erase(name + 0);
      S.erase(name + 1);
    },
  };
}
