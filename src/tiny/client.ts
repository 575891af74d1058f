/**
 * The tiny profile's client: MQTT 3.1.1 at QoS 0 both ways, keepalive,
 * reconnect with backoff, on the platform's socket API (TinyConnect). A
 * size-first path of its own, built only into the `tiny` bundles: binary
 * strings end to end, one timer, no queue, no packet objects, and its state
 * in closure variables (one closure per client and per connection, none per
 * packet) because every `this.field` costs bytes in the bundle. The core/full
 * client (src/client) is the complete one; both use the same option names,
 * events and error codes.
 *
 * States: 0 stopped (new, or after end()), 1 offline (backoff timer
 * running), 2 dialing (socket opening or CONNACK awaited: connect timer), 3
 * connected (keepalive timer when keepalive > 0).
 *
 * Events (`on`/`emit` are Espruino's own, on every object): connect, message
 * (topic, payload: binary strings; the topic as UTF-8 bytes), error (Error
 * with .code), close, offline, reconnect, end.
 */
import { wrenError } from "../errors";
import type { TinyConnect, TinySocket } from "../hal/hal";
import { KEEPALIVE, MAX_PACKET } from "../entry/board";
import { at, connectPacket, packet, str, u16 } from "./packets";

export interface TinyOptions {
  host: string;
  port: number;
  /** TLS (Espruino: no certificate check in the firmware; ca/cert/key as DER binary strings). */
  tls?: boolean;
  clientId: string;
  username?: string;
  password?: string;
  /** Seconds; 0 disables (default 60). */
  keepalive?: number;
  /** Backoff (ms): attempt n waits min(max, min x 2^n) x random (full jitter); default min 1000, max 60000. */
  reconnect?: { min?: number; max?: number };
}

type Cb = (err?: Error) => void;

export interface Tiny {
  connect(): Tiny;
  /** `payload`: a binary string (chars 0-255: on a board every string is one) or a number. */
  publish(topic: string, payload: string | number, opts?: { retain?: boolean } | Cb, cb?: Cb): Tiny;
  subscribe(filters: string | string[]): Tiny;
  unsubscribe(filters: string | string[]): Tiny;
  end(force?: boolean): Tiny;
  emit(ev: string, a?: any, b?: any): void;
}

/**
 * The platform comes in as five functions, the tiny HAL (on Espruino:
 * net/tls connect, Date.now, setTimeout, clearTimeout, Math.random).
 * Throws BAD_STRING for a client id, username or password that is not
 * ASCII (see ./packets); subscribe and unsubscribe throw it for such a filter.
 */
export function tinyClient(
  o: TinyOptions,
  connect: TinyConnect,
  now: () => number,
  setTimer: (fn: () => void, ms: number) => unknown,
  clearTimer: (timer: any) => void,
  random: () => number,
): Tiny {
  var sock: TinySocket | 0, // the live socket: events of older ones are ignored
    state = 0,
    buf = "", // received bytes not yet a whole packet
    attempt = 0, // backoff exponent
    timer: unknown,
    lastSent: number, // the keepalive runs from the last send [MQTT-3.1.2-23]
    kAt: number, // lastSent when the timer was set
    due: number, // the wall clock the timer is due at
    pinging: any, // a PINGREQ awaits its answer
    lastId = 0,
    ka = ((o.keepalive == null ? KEEPALIVE : o.keepalive) & 65535) * 1e3,
    hello = connectPacket(o.clientId, ka / 1e3, o.username, o.password),
    subs: { [filter: string]: 1 } = {},
    me = {
      connect: function () {
        if (!state) (attempt = 0), dial();
        return me;
      },
      publish: function (topic: string, payload: string, opts?: any, cb?: Cb) {
        // a topic: ASCII, not empty, no U+0000 [MQTT-1.5.3-2], no wildcard [MQTT-3.3.2-2]
        // (Espruino's regular expressions: no `^$|...`, see src/client/topic.ts)
        var e: any = state < 3 ? "OFFLINE" : (!topic || /[^\x01-\x7f]|[+#]/.test(topic)) && "BAD_TOPIC";
        if (typeof opts == "function") cb = opts;
        // QoS 0 is done once written [MQTT-4.3.1]; one that cannot be sent is reported, never dropped silently
        if (e) (e = wrenError(e)), cb ? cb(e) : me.emit("error", e);
        else send(packet(48 | (opts && opts.retain), str(topic) + payload)), cb && cb();
        return me;
      },
      subscribe: function (f: any) {
        f = f.push ? f : [f];
        subscribe(f); // (first: a filter it refuses is not kept either)
        for (var i = 0; i < f.length; ) subs[f[i++]] = 1;
        return me;
      },
      unsubscribe: function (f: any) {
        f = f.push ? f : [f];
        // (the packet first: a filter str() refuses leaves every filter subscribed)
        for (var b = "", i = 0; i < f.length; ) b += str(f[i++]);
        while (i) delete subs[f[--i]];
        if (b && state > 2) send(packet(162, id() + b));
        return me;
      },
      end: function (force?: boolean) {
        if (state > 2 && !force) send("\xe0\0"); // DISCONNECT: the will is not sent [MQTT-3.14.4-3]
        drop(0, 0, 1);
        me.emit("end");
        return me;
      },
    } as any as Tiny;

  /** The one timer: backoff, connect timeout or keepalive, by state. */
  function onTimer() {
    // the wall clock set back since the timer was set (it fired before `due` by the clock):
    // a send since then may have been before the change, so it counts as that much earlier
    // (a PINGREQ early rather than late [MQTT-3.1.2-24])
    var w = now() - due;
    if (w < 0) lastSent += w;
    w = lastSent + ka - now();
    timer = 0;
    if (state < 2) dial();
    else if (state < 3) drop("CONNECT_TIMEOUT");
    // connected through a keepalive check: the backoff starts again from its minimum
    // (not at CONNACK: a broker that accepts and then closes at once, e.g. another
    // device with the same client id, would get a reconnect storm)
    // Something was sent since the timer was set: the keepalive runs from that send.
    // Nothing was: it is due by the timers, whatever the wall clock says now (set back:
    // w > ka, or by less than ka).
    else if (((attempt = 0), w > 0 && w <= ka && lastSent !== kAt)) arm(w);
    else if (pinging) drop("PING_TIMEOUT");
    else send("\xc0\0"), (pinging = 1), arm(ka);
  }

  /** (Re)arm the timer; 0 just stops it. (Connected, it runs from the last send, kept in `kAt`.) */
  function arm(ms: number) {
    kAt = lastSent;
    due = now() + ms;
    if (timer) clearTimer(timer);
    timer = ms && setTimer(onTimer, ms);
  }

  function send(p: string) {
    (sock as TinySocket).write(p);
    // a send postpones the PINGREQ, but not the wait for its answer
    if (!pinging) lastSent = now();
  }

  /** Subscribe (QoS 0) when connected; kept filters go again on each connect. */
  function subscribe(a: string[]) {
    for (var b = "", i = 0; i < a.length; ) {
      // a filter the broker refuses would be sent again on every connect: refused here
      // ([MQTT-4.7.1-2/3], [MQTT-4.7.3-1], no U+0000; see src/client/topic.ts)
      if (!a[i] || /[^/][+#]|\+[^/]|#.|\0/.test(a[i])) throw wrenError("BAD_FILTER");
      b += str(a[i++]) + "\0";
    }
    if (b && state > 2) send(packet(130, id() + b));
  }

  /** The next packet identifier, never 0 [MQTT-2.3.1-1], as two bytes. */
  function id() {
    return u16((lastId = (lastId % 65535) + 1));
  }

  function dial() {
    var s: TinySocket,
      // error (then close) or close alone: one handler, reports NET only with a message
      closed = function (e: any) {
        if (s == sock) drop((e = e && e.message) && "NET", e);
      };
    var r = state,
      x: any;
    state = 2;
    pinging = 0;
    arm(3e4);
    // (the timer and socket first: a listener that throws leaves a client that still
    // retries, one that calls end() closes this socket, connect() does nothing)
    try {
      s = sock = connect(o, function () {
        if (s == sock) send(hello);
      });
      s.on("data", function (d: string) {
        if (s == sock) receive(d);
      });
      s.on("error", closed);
      s.on("close", closed);
    } catch (e) {
      x = e;
    }
    if (r) me.emit("reconnect");
    // a dial that threw (host unknown, no socket free) fails after the event, unless a
    // listener ended the client (a listener that throws leaves it to the connect timeout)
    if (x && state == 2) drop("NET", x.message);
  }

  /** Close the connection, report `code` if given, then schedule the next attempt (none when `stop`). */
  function drop(code?: string | 0, detail?: string | 0, stop?: 1) {
    var s = sock,
      up = state > 2 && !stop, // (end() is not "offline")
      r = o.reconnect || {};
    sock = 0;
    buf = "";
    state = stop ? 0 : 1;
    // the next attempt is armed before any event: a listener that throws cannot stop
    // the retries, one that calls end() clears it (|| 1: random() may return 0)
    arm(stop ? 0 : Math.min(r.max || 6e4, (r.min || 1e3) * Math.pow(2, attempt++)) * random() || 1);
    if (s) s.end();
    if (code) me.emit("error", wrenError(code, detail as string));
    if (s || !stop) me.emit("close");
    if (up) me.emit("offline");
  }

  /** A chunk: append, then handle every whole packet (fixed header + remaining length). */
  function receive(chunk: string) {
    for (var s = sock, j: number, n: number, m: number, x: number, p: string, b = (buf += chunk); s == sock; ) {
      // remaining length, at most 4 bytes [MQTT-2.2.3] (j > 5: a 5th one, malformed);
      // past the end x is NaN: & gives 0, the loop stops and j > b.length.
      for (j = 1, n = 0, m = 1; (n += ((x = at(b, j++)) & 127) * m), x > 127 && j < 6; m *= 128);
      if (n > MAX_PACKET || j > 5) return drop("PACKET_TOO_LARGE");
      if (j + n > b.length) return;
      x = at(b, 0) >> 4;
      p = b.substr(j, n);
      // consumed before any listener runs: one that throws cannot get the packet again
      b = buf = b.substr(j + n);
      pinging = 0; // any packet answers a PINGREQ
      // CONNACK first, and once [MQTT-3.2.0-1]
      if ((x == 2) == state > 2) return drop("PROTOCOL");
      if (x == 2) {
        if ((x = at(p, 1))) return drop("CONNACK_REFUSED", "" + x);
        state = 3;
        // the keepalive runs from the CONNECT [MQTT-3.1.2-23]
        // (at most ka: the clock set back since the CONNECT would make it later)
        arm(ka && Math.max(1, Math.min(ka, lastSent + ka - now())));
        // (as strings: on Espruino Object.keys gives a name like "123" as a number)
        subscribe(Object.keys(subs).map(String));
        me.emit("connect");
      } else if (x == 3) {
        // QoS 0 subscriptions: the broker sends nothing above QoS 0 [MQTT-3.8.4-6]
        x = (at(p, 0) << 8) | at(p, 1);
        me.emit("message", p.substr(2, x), p.substr(2 + x));
      } else if (x == 9 && p.indexOf("\x80", 2) > 0) me.emit("error", wrenError("SUBACK_FAILED")); // refused (e.g. an ACL)
      // UNSUBACK, PINGRESP: nothing to do at QoS 0
    }
  }

  return me;
}
