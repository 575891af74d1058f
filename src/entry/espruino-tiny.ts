/**
 * Entry of the tiny Espruino bundles (dist/<board>-tiny.js):
 *   var mqtt = require("wren-mqtt").connect({host: "broker.local", clientId: "s1"});
 * The HAL is the firmware itself: `net`/`tls` sockets (binary strings),
 * Date.now, setTimeout/clearTimeout, Math.random. Fills in the options it
 * is given: port 1883, a client id from getSerial(), the board's keepalive.
 */
import { tinyClient, type Tiny, type TinyOptions } from "../tiny/client";
import { espruinoClientId } from "../hal/espruino/id";
import { HAS_TLS } from "./board";
import { wrenError } from "../errors";

export function connect(o: TinyOptions): Tiny {
  // no TLS in this firmware: never the CONNECT (credentials) in clear text to a TLS port
  if (!HAS_TLS && o.tls) throw wrenError("NO_TLS");
  o.port = o.port || (o.tls ? 8883 : 1883);
  o.clientId = espruinoClientId(o.clientId);
  return tinyClient(
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
