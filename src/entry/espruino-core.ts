/**
 * Entry of the core Espruino bundles (dist/<board>-core.js):
 *   var mqtt = require("wren-mqtt").connect("mqtt://host", {clientId: "s1"});
 * The client is src/core (complete MQTT 3.1.1, size-first); the HAL is the
 * firmware itself: `net`/`tls` sockets (binary strings), Date.now,
 * setTimeout/clearTimeout, Math.random. TLS `ca`/`cert`/`key`, when given,
 * are DER binary strings (Espruino's mbedTLS parses no PEM).
 */
import { coreClient, type Core, type CoreOptions } from "../core/client";
import { boardOptions } from "./board-options";
import { HAS_TLS } from "./board";

/** `connect(url | options, options?)`: make a client and dial. */
export function connect(url: string | CoreOptions, options?: Partial<CoreOptions>): Core {
  var o = boardOptions(url, options);
  return coreClient(
    o,
    // (a static function of the module: callable unbound; no "tls" at all on
    // boards without it, so upload tools never look for such a module)
    require(HAS_TLS && o.tls ? "tls" : "net").connect,
    Date.now,
    setTimeout as any,
    clearTimeout,
    Math.random,
  ).connect();
}
