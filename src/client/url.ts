/**
 * Broker URLs, a module of its own so the board entries take it without the
 * client class. Split, not matched by a regular expression: Espruino's
 * engine has no `?` or `(?:`.
 */
import type { Target } from "../hal/hal";

export interface UrlOptions extends Partial<Target> {
  username?: string;
  password?: string;
}

/**
 * "mqtt://[user[:password]@]host[:port]" (also tcp:); "mqtts://" (also
 * tls:, ssl:) selects TLS. Default ports 1883 / 8883. A path is ignored.
 */
export function parseUrl(url: string): UrlOptions {
  var s = url.split("://"),
    // (mqtts, tls and ssl have an "s", mqtt and tcp none; no scheme: plain)
    tls = !!s[1] && /s/.test(s[0]),
    r = s.pop()!.split("/")[0].split("@"), // [user[:password]@]host[:port]
    h = r.pop()!.split(":"),
    u: any = r.join("@").split(":"),
    o: UrlOptions = { host: h[0], port: +h[1] || (tls ? 8883 : 1883), tls: tls };
  if (u[0]) o.username = u.shift();
  if ((u = u.join(":"))) o.password = u;
  return o;
}

