/**
 * The Espruino HAL. Each part is its own module and function so a bundle
 * pulls only what it uses.
 */
import type { Hal } from "../hal";
import { espruinoClock } from "./clock";
import { espruinoLink, type WifiConfig } from "./link";
import { espruinoPower, type BatteryConfig } from "./power";
import { espruinoStorage } from "./storage";
import { espruinoTransport } from "./transport";

export { espruinoTransport, espruinoConnect, pemToDer } from "./transport";
export { espruinoClock } from "./clock";
export { espruinoStorage } from "./storage";
export { espruinoPower } from "./power";
export type { BatteryConfig } from "./power";
export { espruinoLink } from "./link";
export type { WifiConfig } from "./link";
export { espruinoClientId } from "./id";

export interface EspruinoHalOptions {
  /** Persist session state in flash (Storage). */
  storage?: boolean;
  /** Deep sleep / wake reason, and the battery when given. */
  power?: boolean;
  battery?: BatteryConfig;
  /** Manage the WiFi link (connect, redial with backoff, up/down events). */
  wifi?: WifiConfig;
}

/** Assemble a Hal. For the smallest bundle, build `{ transport, clock }` directly instead. */
export function espruinoHal(o: EspruinoHalOptions): Hal {
  var clock = espruinoClock();
  var hal: Hal = { transport: espruinoTransport(), clock: clock, random: Math.random };
  if (o.storage) hal.storage = espruinoStorage();
  if (o.power || o.battery) hal.power = espruinoPower(o.battery);
  if (o.wifi) hal.link = espruinoLink(o.wifi, clock);
  return hal;
}
