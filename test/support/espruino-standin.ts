/**
 * A stand-in for Espruino's globals and built-in modules, behaving as the
 * Espruino sources document them (libs/network/socketserver.c,
 * jswrap_net.c, jswrap_wifi.c, src/jswrap_espruino.c, src/jsflash.c,
 * targets/esp32, targets/esp8266):
 *
 * - `E.toUint8Array(...)`, `E.toString(...)` (bytes <-> binary strings);
 * - `getSerial`, `getTime`, `analogRead`, `ESP32` / `ESP8266` (deep sleep is
 *   recorded, wake cause / reset info are settable), `atob`;
 * - `require("net" | "tls")`: sockets with Espruino-style `on`/`emit`, data
 *   as binary strings in chunks of at most 536 bytes, `drain` when the send
 *   buffer empties, `error` {code < 0, message} then `end` then
 *   `close(had_error)`, all from a FIFO "idle loop" (never inside a call);
 *   `write` takes strings only: anything else is stringified like Espruino
 *   does (a Uint8Array becomes "1,2,3"), and a character above 255 is
 *   recorded as a violation (Espruino strings are bytes). TLS options
 *   `ca`/`cert`/`key` must be DER binary strings (Espruino's mbedTLS has no
 *   PEM parser) and, like the firmware, the server certificate is NOT
 *   verified unless `tlsVerify` is set;
 * - `require("Storage")`: memory-backed read/write/erase/list, names cut
 *   to 28 characters, zero-length files refused, and a torn write can be
 *   injected (old file gone, new one half written, rest 0xFF) like a reset
 *   in the middle of jsfWriteFile;
 * - `require("Wifi")`: connect/disconnect/getDetails with `associated`,
 *   `connected`, `disconnected` events driven by the test (AP reachable or
 *   not, password right or not); while the AP is unreachable the "firmware"
 *   retries by itself and fires `disconnected` on each failed attempt.
 *
 * Two forms share one ES5 core (STANDIN_CORE_ES5):
 * - `installEspruino(opts)`: Node-side, sets the globals for in-process use;
 *   sockets are real Node TCP/TLS sockets;
 * - `ESPRUINO_STANDIN_DUK`: plain ES5 source text for Duktape (`duk`), where
 *   there is no network: the "socket" is a scripted in-memory peer
 *   (`__standin.net.onConnect = function (peer) {...}`), timers and
 *   Date.now() run on a virtual clock advanced by `__standin.run(ms)`, and
 *   `clearTimeout` behaves as on Espruino (no argument clears every timer,
 *   an unknown id throws "Unknown Timeout"), and every RegExp runs on a
 *   port of Espruino's own regex engine (./espruino-regex): the Node form
 *   leaves the global RegExp alone (it shares the process with aedes, MQTT.js).
 */
import * as nodeNet from "node:net";
import * as nodeTls from "node:tls";
import * as crypto from "node:crypto";
import type { Clock } from "../../src/hal/hal";
import { ESPRUINO_APPLY_LIMIT_DUK, ESPRUINO_REGEX_DUK } from "../../scripts/lib/espruino-regex";
import { ESPRUINO_ARRAYBUFFER_LIMIT_DUK } from "../../scripts/lib/espruino-builtins";

/**
 * The shared core: `__espruinoStandin(host)` returns the globals and modules.
 * `host` supplies: defer(fn) (FIFO, async), setTimer(fn, ms), clearTimer(h),
 * connect(sock, options, isTls) (may throw like Espruino), send(sock, str),
 * end(sock).
 */
export const STANDIN_CORE_ES5 = String.raw`
function __espruinoStandin(host, opts) {
  opts = opts || {};
  var CHUNK = 536;
  var st = { violations: [], sleeps: [], net: { sockets: [], maxChunk: 0, chunks: 0, writes: [] } };

  function Emitter() {}
  // Espruino keeps listeners in hidden "#on<event>" properties: one function or an array.
  Emitter.prototype.on = function (ev, fn) {
    var k = "#on" + ev, l = this[k];
    if (!l) this[k] = fn;
    else if (typeof l == "function") this[k] = [l, fn];
    else l.push(fn);
    return this;
  };
  Emitter.prototype.emit = function (ev) {
    var args = Array.prototype.slice.call(arguments, 1), l = this["#on" + ev];
    if (!l) return;
    l = typeof l == "function" ? [l] : l.slice();
    for (var i = 0; i < l.length; i++) l[i].apply(this, args);
  };
  Emitter.prototype.removeAllListeners = function (ev) {
    if (ev) delete this["#on" + ev];
    else for (var k in this) if (k.charAt(0) == "#") delete this[k];
  };

  // ---------------------------------------------------------------- E
  function pushBytes(v, out) {
    if (typeof v == "string") {
      for (var i = 0; i < v.length; i++) {
        var c = v.charCodeAt(i);
        if (c > 255) st.violations.push("non-byte character " + c + " in a string");
        out.push(c & 255);
      }
    } else if (typeof v == "number" || typeof v == "boolean") out.push(+v & 255);
    else if (v && typeof v.byteLength == "number" && typeof v.length != "number") {
      pushBytes(new Uint8Array(v), out); // ArrayBuffer
    } else if (v && typeof v.length == "number") {
      for (var j = 0; j < v.length; j++) pushBytes(v[j], out);
    } else if (v && typeof v == "object" && "data" in v) {
      for (var n = 0; n < (v.count || 1); n++) pushBytes(v.data, out);
    } else if (v && typeof v.callback == "function") pushBytes(v.callback(), out);
  }
  function bytesOf(args) {
    var out = [];
    for (var i = 0; i < args.length; i++) pushBytes(args[i], out);
    return out;
  }
  function bytesToString(b) {
    var s = "";
    // (64 at a time: the script's Function.apply has Espruino's limit)
    for (var i = 0; i < b.length; i += 64) s += String.fromCharCode.apply(null, Array.prototype.slice.call(b, i, i + 64));
    return s;
  }
  var E = {
    toUint8Array: function () {
      var b = bytesOf(arguments), u = new Uint8Array(b.length);
      for (var i = 0; i < b.length; i++) u[i] = b[i];
      return u;
    },
    toString: function () {
      if (arguments.length == 1 && typeof arguments[0] == "string") return arguments[0];
      return bytesToString(bytesOf(arguments));
    },
    on: function () {}
  };

  // ---------------------------------------------------------------- net / tls
  // What Espruino's jsvAsString does to a non-string: arrays and typed arrays
  // join with ",", undefined appends nothing (a NULL JsVar).
  function asString(d) {
    if (d === undefined || d === null) return "";
    if (typeof d == "string") return d;
    if (d && typeof d.length == "number") return Array.prototype.join.call(d, ",");
    return String(d);
  }
  var ERR = { "-1": "socket closed", "-2": "out of memory", "-3": "timeout", "-4": "no route", "-5": "busy", "-6": "not found",
    "-7": "max sockets", "-8": "unsent data", "-9": "connection reset", "-10": "unknown error", "-11": "no connection",
    "-12": "bad argument", "-13": "SSL handshake failed", "-14": "invalid SSL data" };

  function Socket(isTls) {
    this.tls = isTls;
    this.closed = false;
    this.pending = 0; // bytes handed to the host, not yet flushed
  }
  Socket.prototype = Object.create(Emitter.prototype);
  Socket.prototype.write = function (d) {
    var s = asString(d);
    if (typeof d != "string" && d !== undefined) st.violations.push("write() of a " + (d && d.constructor ? d.constructor.name : typeof d) + ", sent as " + JSON.stringify(s.substr(0, 20)));
    for (var i = 0; i < s.length; i++) if (s.charCodeAt(i) > 255) { st.violations.push("write() of a non-binary string"); break; }
    st.net.writes.push(s);
    if (this.closed || this.ending || !s.length) return false;
    this.pending += s.length;
    host.send(this, s);
    return false;
  };
  Socket.prototype.end = function (d) {
    if (d !== undefined) this.write(d);
    if (this.closed || this.ending) return;
    this.ending = true;
    host.end(this);
  };
  // Host -> socket, each delivered from the idle loop in order.
  Socket.prototype._connected = function () {
    var s = this;
    host.defer(function () {
      if (s.closed) return;
      s.emit("connect", s);
      if (!s.pending) s.emit("drain", s);
    });
  };
  Socket.prototype._data = function (str) {
    var s = this;
    for (var i = 0; i < str.length; i += CHUNK) (function (chunk) {
      host.defer(function () {
        if (s.closed) return;
        st.net.chunks++;
        if (chunk.length > st.net.maxChunk) st.net.maxChunk = chunk.length;
        s.emit("data", chunk);
      });
    })(str.substr(i, CHUNK));
  };
  Socket.prototype._flushed = function (n) {
    var s = this;
    s.pending -= n;
    if (s.pending <= 0 && !s.ending) host.defer(function () { if (!s.closed) s.emit("drain", s); });
  };
  Socket.prototype._closed = function (code) {
    var s = this;
    host.defer(function () {
      if (s.closed) return;
      s.closed = true;
      var hadError = code < 0 && code != -1;
      if (hadError) s.emit("error", { code: code, message: ERR[code] || "unknown error" });
      s.emit("end");
      s.emit("close", hadError);
    });
  };

  function netModule(isTls) {
    return {
      connect: function (options, callback) {
        if (typeof options != "object" || !options) throw new Error("Expecting Options to be an Object but it was " + typeof options);
        var s = new Socket(isTls);
        s.options = options;
        st.net.sockets.push(s);
        if (callback) s.on("connect", callback);
        try {
          host.connect(s, options, isTls);
        } catch (e) {
          // Espruino: the socket stays in its list and closes at the next idle
          // (no error event), and the exception reaches the caller.
          s._closed(0);
          throw e;
        }
        return s;
      },
      createServer: function () { throw new Error("createServer: not in the stand-in"); }
    };
  }

  // ---------------------------------------------------------------- Storage
  var files = {}, storage = { writes: 0, crash: -1 };
  function fname(n) { return String(n).substr(0, 28); }
  var Storage = {
    read: function (name, offset, length) {
      var f = files[fname(name)];
      if (f === undefined) return undefined;
      offset = offset || 0;
      return length > 0 ? f.substr(offset, length) : f.substr(offset);
    },
    readArrayBuffer: function (name) {
      var f = files[fname(name)];
      return f === undefined ? undefined : E.toUint8Array(f).buffer;
    },
    write: function (name, data, offset, size) {
      var s = typeof data == "string" ? data : data && typeof data == "object" && typeof data.length != "number" && typeof data.byteLength != "number" ? JSON.stringify(data) : bytesToString(bytesOf([data]));
      if (offset) throw new Error("stand-in: offset writes not supported");
      if (!s.length && !size) throw new Error("Can't create zero length file");
      var n = fname(name);
      storage.writes++;
      if (storage.crash >= 0) {
        // A reset inside jsfWriteFile: the old file is already deleted, the
        // header is written, the data only partly; erased flash reads 0xFF.
        var keep = storage.crash;
        storage.crash = -1;
        var torn = s.substr(0, keep);
        while (torn.length < s.length) torn += "\xFF";
        files[n] = torn;
        throw new Error("stand-in: power lost during Storage.write");
      }
      files[n] = s;
      return true;
    },
    erase: function (name) { delete files[fname(name)]; },
    list: function () { var r = []; for (var k in files) r.push(k); return r; },
    getFree: function () { return 100000; },
    compact: function () {}
  };

  // ---------------------------------------------------------------- Wifi
  var Wifi = new Emitter();
  var wifi = { available: true, password: undefined, status: "off", connects: 0, retryMs: 3000, ip: "192.168.1.50", timer: 0, pendingCb: null };
  function wifiUp() {
    wifi.status = "connected";
    host.clearTimer(wifi.timer); wifi.timer = 0;
    host.defer(function () {
      Wifi.emit("associated", { ssid: wifi.ssid, mac: "00:11:22:33:44:55", channel: 6 });
      Wifi.emit("connected", { ip: wifi.ip, netmask: "255.255.255.0", gw: "192.168.1.1" });
      var cb = wifi.pendingCb; wifi.pendingCb = null;
      if (cb) cb(null);
    });
  }
  function wifiAttemptFailed(reason) {
    host.defer(function () { Wifi.emit("disconnected", { ssid: wifi.ssid, mac: "00:11:22:33:44:55", reason: reason }); });
    // The firmware retries by itself while the station is "connecting".
    host.clearTimer(wifi.timer);
    wifi.timer = host.setTimer(function () { wifi.timer = 0; wifiAttempt(); }, wifi.retryMs);
  }
  function wifiAttempt() {
    if (wifi.status != "connecting") return;
    if (wifi.available) wifiUp();
    else wifiAttemptFailed("no_ap_found");
  }
  Wifi.connect = function (ssid, options, callback) {
    wifi.connects++;
    wifi.ssid = ssid;
    var pw = options && options.password;
    if (wifi.password !== undefined && pw !== wifi.password) {
      wifi.status = "wrong_password";
      host.defer(function () { if (callback) callback("Bad password"); Wifi.emit("disconnected", { ssid: ssid, reason: "auth_fail" }); });
      return;
    }
    if (wifi.status == "connected") { host.defer(function () { if (callback) callback(null); }); return; }
    wifi.pendingCb = callback || null;
    wifi.status = "connecting";
    host.clearTimer(wifi.timer); wifi.timer = 0;
    host.defer(wifiAttempt);
  };
  Wifi.disconnect = function (callback) {
    var was = wifi.status;
    wifi.status = "off";
    host.clearTimer(wifi.timer); wifi.timer = 0;
    host.defer(function () { if (was == "connected") Wifi.emit("disconnected", { ssid: wifi.ssid, reason: "assoc_leave" }); if (callback) callback(); });
  };
  Wifi.getDetails = function (cb) { var d = { status: wifi.status, ssid: wifi.ssid, rssi: -60 }; if (cb) cb(d); return d; };
  Wifi.getStatus = function (cb) { var d = { station: wifi.status, mode: "sta" }; if (cb) cb(d); return d; };
  Wifi.getIP = function (cb) { var d = { ip: wifi.status == "connected" ? wifi.ip : "0.0.0.0" }; if (cb) cb(d); return d; };
  // Test controls: the AP comes and goes.
  wifi.setAvailable = function (v) {
    wifi.available = v;
    if (!v && wifi.status == "connected") {
      wifi.status = "connecting";
      wifiAttemptFailed("beacon_timeout");
    } else if (v && wifi.status == "connecting" && !wifi.timer) host.defer(wifiAttempt);
  };

  // ---------------------------------------------------------------- chip
  var chip = opts.chip || "ESP32";
  var power = { wakeCause: opts.wakeCause || 0, resetReason: opts.resetReason || "power on" };
  var ESP32 = {
    deepSleep: function (us) { st.sleeps.push(us); },
    getWakeupCause: function () { return power.wakeCause; },
    getState: function () { return { freeHeap: 100000 }; }
  };
  var ESP8266 = {
    deepSleep: function (us, option) { st.sleeps.push(us); st.sleepOption = option; },
    getResetInfo: function () { return { reason: power.resetReason, exccause: 0 }; },
    getState: function () { return { freeHeap: 30000 }; }
  };
  var analog = opts.analog || {};

  var B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  function atob(s) {
    s = String(s).replace(/[^A-Za-z0-9+\/]/g, "");
    var out = "", bits = 0, n = 0;
    for (var i = 0; i < s.length; i++) {
      bits = (bits << 6) | B64.indexOf(s.charAt(i));
      n += 6;
      if (n >= 8) { n -= 8; out += String.fromCharCode((bits >> n) & 255); }
    }
    return out;
  }

  var modules = { net: netModule(false), Storage: Storage, Wifi: Wifi };
  // LINUX: Espruino's Linux build, TLS but neither chip module
  if (chip != "ESP8266") modules.tls = netModule(true);
  if (chip == "ESP32") modules.ESP32 = ESP32;
  if (chip == "ESP8266") modules.ESP8266 = ESP8266;
  st.globals = {
    E: E,
    getSerial: function () { return opts.serial || "30aea4-0c1234"; },
    getTime: function () { return host.now() / 1000; },
    analogRead: function (pin) { var v = analog[String(pin)]; return typeof v == "function" ? v() : v || 0; },
    atob: atob,
    require: function (m) {
      if (Object.prototype.hasOwnProperty.call(modules, m)) return modules[m];
      throw new Error("Module " + m + " not found");
    }
  };
  if (chip != "LINUX") st.globals[chip] = chip == "ESP32" ? ESP32 : ESP8266;
  st.modules = modules;
  st.files = files;
  st.storage = storage;
  st.wifi = wifi;
  st.power = power;
  st.analog = analog;
  st.E = E;
  st.Socket = Socket;
  st.bytesToString = bytesToString;
  return st;
}
`;

/**
 * Duktape form: the core, a virtual-time event loop, Espruino-like timers,
 * a scripted in-memory peer for net/tls, and the globals. Control object:
 * `__standin` (run(ms), now(), net.onConnect, net.peers, wifi, storage,
 * files, sleeps, violations). Options can be set before evaluation with
 * `var __standinOptions = { chip: "ESP8266", ... }`.
 */
export const ESPRUINO_STANDIN_DUK =
  STANDIN_CORE_ES5 +
  String.raw`
var __standin = (function () {
  var now = 0, seq = 0, queue = [], timers = [];
  function defer(fn) { queue.push(fn); }
  function setTimer(fn, ms, recur) {
    var id = ++seq;
    timers.push({ id: id, at: now + (ms > 0 ? ms : 0), fn: fn, recur: recur ? (ms > 0 ? ms : 1) : 0, seq: id });
    return id;
  }
  function clearTimer(id) {
    for (var i = 0; i < timers.length; i++) if (timers[i].id === id) { timers.splice(i, 1); return true; }
    return false;
  }
  var peers = [];
  var net = { peers: peers, onConnect: null, refuseAll: false };
  function Peer(sock, options, isTls) {
    this.sock = sock; this.options = options; this.tls = isTls; this.received = ""; this.closed = false; this.ended = false;
  }
  Peer.prototype.send = function (str) { if (!this.closed) this.sock._data(str); };
  Peer.prototype.close = function () { if (!this.closed) { this.closed = true; this.sock._closed(0); } };
  Peer.prototype.reset = function () { if (!this.closed) { this.closed = true; this.sock._closed(-9); } };
  var host = {
    now: function () { return now; },
    defer: defer,
    setTimer: function (fn, ms) { return setTimer(fn, ms, false); },
    clearTimer: function (h) { if (h) clearTimer(h); },
    connect: function (sock, options, isTls) {
      if (options.host === "unresolvable.invalid") throw new Error("Unable to locate host");
      var p = new Peer(sock, options, isTls);
      sock.peer = p;
      peers.push(p);
      if (net.refuseAll) { p.closed = true; sock._closed(-9); return; }
      if (net.onConnect) net.onConnect(p);
      if (!p.closed) sock._connected();
    },
    send: function (sock, s) {
      var p = sock.peer;
      defer(function () {
        sock._flushed(s.length);
        if (p.closed) return;
        p.received += s;
        if (p.onData) p.onData(s);
      });
    },
    end: function (sock) {
      var p = sock.peer;
      defer(function () {
        if (p.closed) return;
        p.ended = true; p.closed = true;
        if (p.onEnd) p.onEnd();
        sock._closed(0);
      });
    }
  };
  var st = __espruinoStandin(host, typeof __standinOptions == "object" ? __standinOptions : {});
  var g = st.globals;
  E = g.E; getSerial = g.getSerial; getTime = g.getTime; analogRead = g.analogRead; atob = g.atob; require = g.require;
  if (g.ESP32) ESP32 = g.ESP32;
  if (g.ESP8266) ESP8266 = g.ESP8266;
  Date.now = function () { return now; };
  // Espruino timers: clearTimeout() without an id clears every timer; an
  // unknown id throws.
  setTimeout = function (fn, ms) { return setTimer(fn, ms, false); };
  setInterval = function (fn, ms) { return setTimer(fn, ms, true); };
  clearTimeout = clearInterval = function (id) {
    if (id === undefined) { timers.length = 0; return; }
    if (!clearTimer(id)) throw new Error("Unknown Timeout");
  };
  if (typeof console == "undefined") console = { log: function () { print(Array.prototype.join.call(arguments, " ")); } };
  function drain() { var n = 0; while (queue.length) { queue.shift()(); n++; } return n; }
  st.now = host.now;
  st.net.peers = peers;
  st.net.control = net;
  // Run the idle loop and due timers in order until time now+ms; returns callbacks run.
  st.run = function (ms) {
    var end = now + (ms || 0), ran = drain();
    for (;;) {
      var best = -1;
      for (var i = 0; i < timers.length; i++) if (timers[i].at <= end && (best < 0 || timers[i].at < timers[best].at || (timers[i].at == timers[best].at && timers[i].seq < timers[best].seq))) best = i;
      if (best < 0) break;
      var t = timers[best];
      if (t.at > now) now = t.at;
      if (t.recur) { t.at += t.recur; t.seq = ++seq; } else timers.splice(best, 1);
      t.fn();
      ran += 1 + drain();
    }
    now = end;
    return ran;
  };
  st.pendingTimers = function () { return timers.length; };
  return st;
})();
` +
  // Espruino's own regex engine for every RegExp of the script (bundle included),
  // its 64-argument limit of Function.apply and its 65,535-byte ArrayBuffers.
  ESPRUINO_REGEX_DUK +
  ESPRUINO_APPLY_LIMIT_DUK +
  ESPRUINO_ARRAYBUFFER_LIMIT_DUK;

export interface StandinOptions {
  /** LINUX: Espruino's Linux build (no ESP32 or ESP8266 module). */
  chip?: "ESP32" | "ESP8266" | "LINUX";
  serial?: string;
  /** ESP32.getWakeupCause() value. */
  wakeCause?: number;
  /** ESP8266.getResetInfo().reason. */
  resetReason?: string;
  /** analogRead(pin) values by pin name. */
  analog?: Record<string, number | (() => number)>;
  /** Run the stand-in's own deferrals and timers (Wifi "firmware") on this clock instead of real time. */
  clock?: Clock & { now(): number };
  /** Verify the TLS server certificate against `ca` (the firmware does not). */
  tlsVerify?: boolean;
}

export interface StandinSocket {
  options: any;
  tls: boolean;
  closed: boolean;
  on(ev: string, fn: (...a: any[]) => void): void;
  emit(ev: string, ...a: any[]): void;
  write(d: any): boolean;
  end(d?: any): void;
}

export interface Standin {
  globals: Record<string, any>;
  modules: Record<string, any>;
  violations: string[];
  /** Every deepSleep(us) call. */
  sleeps: number[];
  sleepOption?: number;
  net: { sockets: StandinSocket[]; maxChunk: number; chunks: number; writes: string[] };
  files: Record<string, string>;
  storage: { writes: number; crash: number };
  wifi: {
    available: boolean;
    password?: string;
    status: string;
    connects: number;
    retryMs: number;
    setAvailable(v: boolean): void;
  };
  power: { wakeCause: number; resetReason: string };
  analog: Record<string, number | (() => number)>;
  E: { toUint8Array(...a: any[]): Uint8Array; toString(...a: any[]): string };
  /** Restore the globals that were replaced. */
  uninstall(): void;
}

const NODE_ERR: Record<string, number> = {
  ECONNREFUSED: -9,
  ECONNRESET: -9,
  EPIPE: -8,
  ETIMEDOUT: -3,
  EHOSTUNREACH: -4,
  ENETUNREACH: -4,
  ENOTFOUND: -6,
  EAI_AGAIN: -6,
};

function derToPem(der: string, label: string): string {
  const b64 = Buffer.from(der, "latin1").toString("base64");
  // 64 characters a line and no empty line (OpenSSL stops at one).
  return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)!.join("\n")}\n-----END ${label}-----\n`;
}

/** What Espruino's ssl_load_* would do with a DER option: parse it, or throw like the firmware. */
function tlsOptionsFromDer(o: any): { ca?: string; cert?: string; key?: crypto.KeyObject } {
  const out: { ca?: string; cert?: string; key?: crypto.KeyObject } = {};
  for (const f of ["ca", "cert"] as const) {
    if (o[f] === undefined) continue;
    if (typeof o[f] !== "string" || /-----BEGIN/.test(o[f])) throw new Error(`HTTPS init failed! mbedtls_x509_crt_parse of '${f}': X509 - invalid format (not DER)`);
    try {
      new crypto.X509Certificate(Buffer.from(o[f], "latin1"));
    } catch {
      throw new Error(`HTTPS init failed! mbedtls_x509_crt_parse of '${f}': X509 - invalid DER`);
    }
    out[f] = derToPem(o[f], "CERTIFICATE");
  }
  if (o.key !== undefined) {
    let key: crypto.KeyObject | undefined;
    for (const type of ["pkcs8", "pkcs1", "sec1"] as const) {
      try {
        key = crypto.createPrivateKey({ key: Buffer.from(String(o.key), "latin1"), format: "der", type });
        break;
      } catch {}
    }
    if (!key) throw new Error("HTTPS init failed! mbedtls_pk_parse_key: PK - invalid DER");
    out.key = key;
  }
  return out;
}

const GLOBAL_NAMES = ["E", "getSerial", "getTime", "analogRead", "require", "ESP32", "ESP8266"];

/**
 * Install the stand-in's globals in this process (E, getSerial, getTime,
 * analogRead, require, ESP32 or ESP8266). Sockets are real Node sockets.
 * Call `uninstall()` when done: a global `require` must not outlive the test.
 */
export function installEspruino(opts: StandinOptions = {}): Standin {
  const clock = opts.clock;
  // The idle loop: one FIFO, pumped on setImmediate (or the given clock).
  const q: (() => void)[] = [];
  let armed = false;
  const pump = () => {
    armed = false;
    while (q.length) q.shift()!();
  };
  const defer = (fn: () => void) => {
    q.push(fn);
    if (!armed) {
      armed = true;
      if (clock) clock.setTimer(pump, 0);
      else setImmediate(pump);
    }
  };
  const nodeSockets = new Map<any, nodeNet.Socket>();
  const host = {
    now: () => (clock ? clock.now() : Date.now()),
    defer,
    setTimer: (fn: () => void, ms: number) => (clock ? clock.setTimer(fn, ms) : setTimeout(fn, ms)),
    clearTimer: (h: any) => {
      if (!h) return;
      if (clock) clock.clearTimer(h);
      else clearTimeout(h);
    },
    connect(sock: any, o: any, isTls: boolean) {
      if (o.host === "unresolvable.invalid") throw new Error("Unable to locate host");
      let ns: nodeNet.Socket;
      let code = 0;
      if (isTls) {
        const t = tlsOptionsFromDer(o);
        const to: nodeTls.ConnectionOptions = {
          host: o.host,
          port: o.port || 443,
          // Espruino: mbedtls authmode VERIFY_NONE, hostname "mbed TLS Server 1".
          rejectUnauthorized: !!opts.tlsVerify,
        };
        if (t.ca) to.ca = t.ca;
        if (t.cert) to.cert = t.cert;
        if (t.key) to.key = t.key.export({ format: "pem", type: "pkcs8" }) as string;
        if (!nodeNet.isIP(o.host)) to.servername = o.host;
        ns = nodeTls.connect(to);
        ns.on("secureConnect", () => sock._connected());
      } else {
        ns = nodeNet.connect({ host: o.host, port: o.port || 80 });
        ns.on("connect", () => sock._connected());
      }
      nodeSockets.set(sock, ns);
      ns.setNoDelay(true);
      ns.on("data", (b: Buffer) => sock._data(b.toString("latin1")));
      ns.on("error", (e: NodeJS.ErrnoException) => {
        if (!code) code = NODE_ERR[e.code || ""] || (isTls ? -13 : -10);
      });
      ns.on("close", () => {
        nodeSockets.delete(sock);
        sock._closed(code);
      });
    },
    send(sock: any, s: string) {
      const ns = nodeSockets.get(sock);
      if (!ns || ns.destroyed) return;
      ns.write(Buffer.from(s, "latin1"), () => sock._flushed(s.length));
    },
    end(sock: any) {
      const ns = nodeSockets.get(sock);
      if (ns) ns.end();
    },
  };
  const make = new Function(STANDIN_CORE_ES5 + "\nreturn __espruinoStandin;")();
  const st = make(host, opts) as Standin & { globals: Record<string, any> };
  const g = globalThis as any;
  const saved: Record<string, PropertyDescriptor | undefined> = {};
  for (const k of GLOBAL_NAMES) saved[k] = Object.getOwnPropertyDescriptor(g, k);
  for (const k of GLOBAL_NAMES) delete g[k];
  for (const k of Object.keys(st.globals)) if (k !== "atob") g[k] = st.globals[k];
  st.uninstall = () => {
    for (const k of GLOBAL_NAMES) {
      delete g[k];
      const d = saved[k];
      if (d) Object.defineProperty(g, k, d);
    }
    for (const ns of nodeSockets.values()) ns.destroy();
  };
  return st;
}
