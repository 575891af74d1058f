/**
 * Running a real board bundle in this Node process on Espruino's semantics:
 * the stand-in's globals (test/support/espruino-standin.ts, real TCP sockets
 * underneath) plus `on`/`emit` on every object, which Espruino has built in
 * and the bundles rely on (`client.on("connect", ...)`).
 */
import { installEspruino, type Standin, type StandinOptions } from "./espruino-standin";

/**
 * Espruino gives every object on/emit (listeners in hidden "#on<event>"
 * properties). Installs them on Object.prototype, non-enumerable, unless
 * something already did; returns a function that removes what it installed
 * (a no-op when it installed nothing), so a test can leave the process as it
 * found it: aedes and MQTT.js run in the same process.
 */
export function installObjectEvents(): () => void {
  const P = Object.prototype as any;
  if (P.on) return () => {};
  Object.defineProperty(P, "on", {
    configurable: true,
    value: function (ev: string, fn: Function) {
      const k = "#on" + ev;
      Object.defineProperty(this, k, { configurable: true, writable: true, value: (this[k] || []).concat(fn) });
      return this;
    },
  });
  Object.defineProperty(P, "emit", {
    configurable: true,
    value: function (ev: string, ...a: unknown[]) {
      const l = this["#on" + ev];
      if (l) for (const fn of l.slice()) fn.apply(this, a);
    },
  });
  return () => {
    delete P.on;
    delete P.emit;
  };
}

/** Evaluate a bundle as an Espruino module (`exports`, `require` in scope) and return its exports. */
export function loadBundle(code: string, require: (m: string) => unknown): any {
  const exports: any = {};
  new Function("exports", "require", code)(exports, require);
  return exports;
}

export interface EspruinoBundle {
  exports: any;
  standin: Standin;
  /** Restore the globals and Object.prototype; destroys the stand-in's open sockets. */
  uninstall(): void;
}

/** Install the stand-in and object events, then load `code` on them. */
export function runBundle(code: string, opts: StandinOptions = {}): EspruinoBundle {
  const standin = installEspruino(opts);
  const removeEvents = installObjectEvents();
  const exports = loadBundle(code, standin.globals.require);
  return {
    exports,
    standin,
    uninstall() {
      standin.uninstall();
      removeEvents();
    },
  };
}
