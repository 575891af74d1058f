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

/** Also the options object given to Wifi.connect, which reads its `password` and ignores the rest. */
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
  var delay = 0; // 0: the next redial waits minDelay
  var up = false;
  var timer: unknown = 0;
  var listener: ((up: boolean) => void) | undefined;
  // The link is up (u) or down: on up, drop the watchdog and reset the delay;
  // while down, keep one watchdog armed. The listener hears real changes only.
  var set = function (u: boolean) {
    if (u) {
      clock.clearTimer(timer);
      timer = delay = 0;
    } else if (!timer) {
      timer = clock.setTimer(dial, (delay = delay ? Math.min(delay * 2, cfg.maxDelay || 300000) : cfg.minDelay || 5000));
    }
    if (u != up) {
      up = u;
      if (listener) listener(u);
    }
  };
  var dial = function () {
    timer = 0;
    // cfg is the options object: Wifi.connect reads its `password` (and
    // ignores ssid/minDelay/maxDelay).
    W.connect(cfg.ssid, cfg, function (err: any) {
      if (!err) set(true);
    });
    // The callback may never come (firmware retrying): the watchdog redials.
    if (!up) set(false);
  };
  // (bound: the events' argument, a details object, comes after `u` and set ignores it)
  W.on("connected", set.bind(0, true));
  W.on("disconnected", set.bind(0, false));
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
