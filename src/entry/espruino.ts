/**
 * Entry of the Espruino bundles (dist/<board>-<profile>.js), used as
 *   var mqtt = require("wren-mqtt").connect("mqtt://host", {clientId: "s1"});
 *
 * Built as a CommonJS-style module body (scripts/lib/bundle.ts): no ES
 * `export`s here, this file assigns to Espruino's module `exports` itself so
 * no export wrapper or getters are emitted. The tiny profile gets transport +
 * clock only; core and full add URL parsing, WiFi link, storage and power.
 */
import { CORE, PERSIST } from "../features";
import { Client, type ClientOptions } from "../client/client";
import { parseUrl } from "../client/index";
import type { Hal } from "../hal/hal";
import { espruinoTransport } from "../hal/espruino/transport";
import { espruinoClock } from "../hal/espruino/clock";
import { espruinoClientId } from "../hal/espruino/id";
import { espruinoStorage } from "../hal/espruino/storage";
import { espruinoPower } from "../hal/espruino/power";
import { espruinoLink } from "../hal/espruino/link";
import { BATTERY, KEEPALIVE, MAX_PACKET } from "./board";

/** `connect(url | options, options?)`: make a client and dial. */
export function connect(url: string | ClientOptions, options?: any): Client {
  var o: any = {},
    k: string,
    a: any = CORE && typeof url == "string" ? parseUrl(url) : url,
    hal: Hal = { transport: espruinoTransport(), clock: espruinoClock() };
  for (k in a) o[k] = a[k];
  for (k in options) o[k] = options[k];
  if (!o.clientId) o.clientId = espruinoClientId();
  // (the client's own default is 60 s: nothing to add for a board that keeps it)
  if (KEEPALIVE != 60 && o.keepalive == null) o.keepalive = KEEPALIVE;
  if (CORE && !o.maxPacketSize) o.maxPacketSize = MAX_PACKET;
  // (no hal.random: the client falls back to Math.random itself)
  if (CORE) {
    if (o.wifi) hal.link = espruinoLink(o.wifi, hal.clock);
    if (PERSIST) {
      hal.storage = espruinoStorage();
      hal.power = espruinoPower(BATTERY || undefined);
    }
  }
  return (PERSIST ? woke(new Client(o, hal), o) : new Client(o, hal)).connect();
}

/** Full: woken from deep sleep (client.sleep saved the session): resume it before dialing. */
function woke(c: Client, o: ClientOptions): Client {
  if (o.clean === false && c._h.power!.wakeReason() == "deep-sleep") c.restore();
  return c;
}
