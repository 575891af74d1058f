/**
 * The options a board entry (core, full) hands its client: URL and options
 * merged, port 1883 or 8883, a client id from getSerial(). TLS on a board
 * without it is refused (NO_TLS), never dialed as plain TCP to a TLS port.
 * (The board's queue and in-flight defaults: both clients read them from
 * ./board themselves; the keepalive: the core client too, the full entry
 * sets it.)
 */
import { isStr, wrenError } from "../errors";
import { parseUrl } from "../client/url";
import { espruinoClientId } from "../hal/espruino/id";
import { HAS_TLS } from "./board";

export function boardOptions(url: any, options?: any): any {
  // (for-in, not Object.assign: not sure every Espruino build has it)
  var o: any = {},
    k: any;
  if (isStr(url)) url = parseUrl(url);
  for (k in url) o[k] = url[k];
  for (k in options) o[k] = options[k];
  if (!HAS_TLS && o.tls) throw wrenError("NO_TLS");
  if (!o.port) o.port = o.tls ? 8883 : 1883;
  o.clientId = espruinoClientId(o.clientId);
  return o;
}
