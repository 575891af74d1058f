/**
 * Espruino power: deep sleep, wake reason, battery level.
 *
 * - ESP32.deepSleep(us): `us` is a C int, so at most 2^31-1 us (~35.8 min);
 *   ESP8266.deepSleep(us, 0): 0 us means "forever" there, so sleep is at
 *   least 1 ms. Longer sleeps are chained by the application (wake, sleep
 *   again). Execution never returns: the board restarts from boot.
 * - Wake reason: ESP32.getWakeupCause() (0 = not from deep sleep, which it
 *   cannot tell apart from a power-on: reported as "power-on"; any wakeup
 *   source = "deep-sleep"); ESP8266.getResetInfo().reason ("power on",
 *   "deep sleep", "reset pin", "restart", "wdt reset", "soft wdt",
 *   "exception").
 * - Battery: analogRead(pin) is 0..1 of the ADC reference; volts =
 *   reading x vRef x divider, mapped linearly from vEmpty (0) to vFull (1).
 *   Four samples are averaged (the ESP32 ADC is noisy).
 */
import type { Power, WakeReason } from "../hal";
import { CHIP } from "../../entry/board";

declare const ESP32: { deepSleep(us: number, option?: number): void; getWakeupCause(): number };
declare const ESP8266: { deepSleep(us: number, option: number): void; getResetInfo(): { reason?: string } };
declare function analogRead(pin: any): number;

export interface BatteryConfig {
  /** ADC pin (Espruino pin name or number). */
  pin: any;
  /** Battery volts / ADC volts (the divider ratio), e.g. 2 for two equal resistors. */
  divider: number;
  /** ADC full-scale volts (analogRead() == 1): 3.3 on ESP32, 1.0 on ESP8266's A0. */
  vRef: number;
  /** Volts reading as full (1.0) and empty (0.0). */
  vFull: number;
  vEmpty: number;
}

/**
 * ESP32 rather than ESP8266: a board build knows its chip (CHIP, folded: the
 * other chip's code is left out); elsewhere (tests) the module is looked for.
 */
function esp32(): boolean {
  return typeof ESP32 != "undefined";
}

export function espruinoPower(battery?: BatteryConfig | null): Power {
  return {
    battery: function () {
      var v = 0,
        i = 0;
      if (!battery) return NaN;
      for (; i < 4; i++) v += analogRead(battery.pin);
      v = ((v / 4) * battery.vRef * battery.divider - battery.vEmpty) / (battery.vFull - battery.vEmpty);
      return v < 0 ? 0 : v > 1 ? 1 : v;
    },
    deepSleep: function (ms) {
      // (no rounding: the firmware truncates to whole microseconds)
      // ESP32.deepSleep ignores the extra argument (Espruino drops surplus arguments of native functions).
      ((CHIP != null ? CHIP == 32 : esp32()) ? ESP32 : ESP8266).deepSleep(Math.min(Math.max(ms * 1000, 1000), 2147483647), 0);
    },
    // (r: a scratch local as a parameter, no `var` statement)
    wakeReason: function (r?: string): WakeReason {
      // ESP32 mapped onto ESP8266's reason strings.
      if (CHIP != null ? CHIP == 32 : esp32()) return ESP32.getWakeupCause() ? "deep-sleep" : "power-on";
      r = ESP8266.getResetInfo().reason;
      return r == "deep sleep" ? "deep-sleep" : r == "power on" ? "power-on" : r ? "reset" : "unknown";
    },
  };
}
