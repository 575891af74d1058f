/**
 * Entry of the Espruino bundles (dist/<board>-<profile>.js).
 *
 * The bundle is built as a CommonJS-style module body (see
 * scripts/lib/bundle.ts): this file has no ES `export`s and assigns to
 * Espruino's module `exports` itself, so no export wrapper or getters are
 * emitted. Intended surface (filled in as src/client and src/hal/espruino
 * land): `exports.connect = function (urlOrOpts) { return
 * createClient(opts, espruinoHal(board)) }`.
 */
import { wrenError } from "../errors";

// Placeholder until the client and the Espruino HAL exist: keeps the build
// and the bundle checks working with a loadable module.
exports.connect = function () {
  throw wrenError("NOT_IMPLEMENTED");
};
