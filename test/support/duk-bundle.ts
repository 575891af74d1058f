/**
 * The Duktape script that runs a bundle on every Espruino difference the
 * tests emulate, so no Duktape bundle test runs on plain ES5 by mistake:
 * the stand-in (Espruino's regex engine, Function.apply's 64 arguments,
 * 65,535-byte ArrayBuffers, sockets, timers), on/emit on every object,
 * array length assignments that drop nothing and numeric-looking property
 * names handed out as numbers (scripts/lib/espruino-builtins), optionally
 * byte strings.
 */
import { ESPRUINO_STANDIN_DUK } from "./espruino-standin";
import {
  ESPRUINO_ARRAY_LENGTH_DUK,
  ESPRUINO_BYTE_STRINGS_DUK,
  ESPRUINO_KEYS_DUK,
  espruinoArrayLengths,
  espruinoKeys,
} from "../../scripts/lib/espruino-builtins";

/** Espruino gives every object on/emit (listeners in hidden "#on<event>" properties); Duktape does not. */
export const OBJECT_EVENTS_DUK = `
Object.defineProperty(Object.prototype, "on", { value: function (ev, fn) { var k = "#on" + ev; if (!this[k]) Object.defineProperty(this, k, { value: [], writable: true }); this[k].push(fn); return this; } });
Object.defineProperty(Object.prototype, "emit", { value: function (ev) { var l = this["#on" + ev], a = Array.prototype.slice.call(arguments, 1); if (l) for (var i = 0; i < l.length; i++) l[i].apply(this, a); } });
`;

export interface DukBundleOptions {
  /** Ahead of the stand-in: its options (`var __standinOptions = ...`), the driver's variables. */
  before?: string;
  /** After the emulations, just before the bundle. */
  between?: string;
  /** An ESP32/ESP8266 build: strings are bytes (ESPRUINO_BYTE_STRINGS_DUK). */
  byteStrings?: boolean;
  /** Define `boot()`, which loads a fresh copy of the bundle and returns its exports (one per boot), instead of loading it once into `exports`. */
  boot?: boolean;
}

/**
 * `before`, the stand-in, object events, the array-length and numeric-key
 * preludes, (byte strings), `between`, then the bundle `code` (ES5, an
 * Espruino module: `exports`) rewritten for both emulations and loaded, then
 * `driver`.
 */
export function dukBundleScript(code: string, driver: string, o: DukBundleOptions = {}): string {
  const body = espruinoKeys(espruinoArrayLengths(code));
  const load = o.boot
    ? "function boot() {\n  var exports = {};\n  (function (exports) {\n" + body + "\n  })(exports);\n  return exports;\n}\n"
    : "var exports = {};\n(function (exports) {\n" + body + "\n})(exports);\n";
  return (
    (o.before || "") +
    ESPRUINO_STANDIN_DUK +
    OBJECT_EVENTS_DUK +
    ESPRUINO_ARRAY_LENGTH_DUK +
    ESPRUINO_KEYS_DUK +
    (o.byteStrings ? ESPRUINO_BYTE_STRINGS_DUK : "") +
    (o.between || "") +
    load +
    driver
  );
}
