/**
 * Espruino WiFi link (`require("Wifi")`, ESP32/ESP8266).
 *
 * Facts (libs/network/jswrap_wifi.c): Wifi.connect(ssid, {password}, cb)
 * calls cb(null) once an IP is obtained (also when already connected to that
 * AP) and reports only "Bad password" as an error; other failures make the
 * firmware retry by itself, each failed attempt firing `disconnected`.
 * `connected` fires when the link is ready for traffic.
 *
 * So: dial once at start; `connected` -> up, `disconnected` -> down. While
 * down, one watchdog timer redials after a delay that doubles (minDelay ..
 * maxDelay) and resets once up: however many `disconnected` events arrive,
 * Wifi.connect runs at most once per delay. The listener hears only real
 * changes, so the client neither dials nor storms while WiFi is down, and
 * redials once when it comes up.
 */
import type { Clock, Link } from "../hal";

export interface WifiConfig {
  ssid: string;
  password?: string;
  /** First redial delay, ms (default 5000). */
  minDelay?: number;
  /** Longest redial delay, ms (default 300000). */
  maxDelay?: number;
}

export function espruinoLink(cfg: WifiConfig, clock: Clock): Link {
  var W = require("Wifi");
  var min = cfg.minDelay || 5000;
  var delay = min;
  var up = false;
  var timer: unknown = 0;
  var listener: ((up: boolean) => void) | undefined;
  var set = function (u: boolean) {
    if (u != up) {
      up = u;
      if (listener) listener(u);
    }
  };
  var dial = function () {
    timer = 0;
    W.connect(cfg.ssid, { password: cfg.password }, function (err: any) {
      if (!err) onUp();
    });
    // The callback may never come (firmware retrying): the watchdog redials.
    retry();
  };
  var retry = function () {
    if (!timer && !up) {
      timer = clock.setTimer(dial, delay);
      delay = Math.min(delay * 2, cfg.maxDelay || 300000);
    }
  };
  var onUp = function () {
    clock.clearTimer(timer);
    timer = 0;
    delay = min;
    set(true);
  };
  W.on("connected", onUp);
  W.on("disconnected", function () {
    set(false);
    retry();
  });
  dial();
  return {
    isUp: function () {
      return up;
    },
    onChange: function (fn) {
      listener = fn;
    },
  };
}
