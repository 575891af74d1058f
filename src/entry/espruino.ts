/**
 * Entry of the Espruino bundles (dist/<board>-<profile>.js), used as
 *   var mqtt = require("wren-mqtt").connect("mqtt://host", {clientId: "s1"});
 *
 * Built as a CommonJS-style module body (scripts/lib/bundle.ts): no ES
 * `export`s here, this file assigns to Espruino's module `exports` itself so
 * no export wrapper or getters are emitted. Core: transport, clock, URL
 * parsing and the WiFi link; full adds storage, power, deep-sleep sessions and
 * the battery-aware keepalive (Liveness + battery bands). (The tiny profile
 * has its own entry, espruino-tiny.ts.)
 */
import { PERSIST } from "../features";
import { Client, type ClientOptions } from "../client/client";
import type { Hal } from "../hal/hal";
import { espruinoConnect } from "../hal/espruino/transport";
import { espruinoClock } from "../hal/espruino/clock";
import { espruinoStorage } from "../hal/espruino/storage";
import { espruinoPower } from "../hal/espruino/power";
import { espruinoLink } from "../hal/espruino/link";
import { Liveness } from "../client/liveness";
import { applyPower } from "../client/power-policy";
import { BATTERY, HAS_DEEP_SLEEP, KEEPALIVE, MAX_PACKET } from "./board";
import { boardOptions } from "./board-options";

/** `connect(url | options, options?)`: make a client and dial. */
export function connect(url: string | ClientOptions, options?: any): Client {
  var o = boardOptions(url, options),
    k: any, // the client (full)
    hal: Hal = {
      transport: { connect: espruinoConnect },
      clock: espruinoClock(),
    };
  // (the client's own default is 60 s: nothing to add for a board that keeps it)
  if (KEEPALIVE != 60 && o.keepalive == null) o.keepalive = KEEPALIVE;
  // (at most 65,519: Espruino's ArrayBuffers stop at 65,535 bytes, and the codec's buffers need 16 spare)
  o.maxPacketSize = Math.min(o.maxPacketSize || MAX_PACKET, 65519);
  // (no hal.random: the client falls back to Math.random itself)
  if (o.wifi) hal.link = espruinoLink(o.wifi, hal.clock);
  if (PERSIST) {
    hal.storage = espruinoStorage();
    // (a board with neither deep sleep nor a battery, Linux, has no power HAL: its
    // firmware has no ESP32 or ESP8266 module to sleep with or ask why it woke)
    if (HAS_DEEP_SLEEP || BATTERY) hal.power = espruinoPower(BATTERY);
    // battery-aware keepalive on the board: ping only when nothing proves the
    // link (o.liveness ms with nothing received; o.ackTimeout for answers),
    // and battery bands scale keepalive and backoff (o.power: high, low, factor)
    // (Liveness reads a missing liveness as the keepalive, a missing ackTimeout as 10 s)
    if (!o.keepalivePolicy) o.keepalivePolicy = new Liveness(o.liveness, o.ackTimeout);
    k = new Client(o, hal);
    if (BATTERY) applyPower(k as any, o.power || {});
    // Woken from deep sleep (client.sleep saved the session): resume it before dialing.
    if (HAS_DEEP_SLEEP && o.clean === false && hal.power!.wakeReason() == "deep-sleep") k.restore();
    return k.connect();
  }
  return new Client(o, hal).connect();
}
