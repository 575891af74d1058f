/**
 * The core profile's client: complete MQTT 3.1.1 for the boards, written
 * for size like the tiny one (src/tiny): binary strings end to end (the form
 * Espruino's sockets carry, so no Uint8Array and no conversion), one timer,
 * state in closure variables (one closure per client and per connection,
 * none per packet). The class client (src/client) is the one for Node and
 * the full profile (5.0, flash sessions); this one keeps its option names,
 * events and error codes.
 *
 * What it does: QoS 0, 1 and 2 both ways (packet ids without collision
 * [MQTT-2.3.1-2], an in-flight window, callbacks on completion, incoming
 * QoS 2 delivered once [MQTT-4.3.3]); will, username/password, clean or
 * persistent sessions (unacknowledged packets resent in order, PUBLISH with
 * DUP [MQTT-4.4.0-1]; subscriptions sent again when the session is new);
 * an offline queue bounded by count and bytes (drop-oldest, drop-new or
 * latest per topic; every drop reported); keepalive from the last send
 * [MQTT-3.1.2-23] with a ping timeout; ack and connect timeouts; reconnect
 * with capped exponential backoff and jitter; routes by filter.
 *
 * States: 0 stopped (new, or after end()), 1 offline (backoff timer), 2
 * dialing (socket opening or CONNACK awaited: connect timer), 3 connected
 * (keepalive / ack timer).
 *
 * Events (Espruino's own `on`/`emit`): connect ({sessionPresent}), message
 * (topic, payload, packet), error (Error with .code), close, offline,
 * reconnect, end.
 */
import { isStr, wrenError } from "../errors";
import type { Target, TinyConnect, TinySocket } from "../hal/hal";
import type { ClientOptions } from "../client/client";
import { INFLIGHT_MAX, KEEPALIVE, MAX_PACKET, QUEUE_BYTES, QUEUE_MAX } from "../entry/board";
import { backoff, type BackoffOptions } from "../client/backoff";
import { matches } from "../client/topic";
import { at, F, packet, u16 } from "../tiny/packets";
import { fromUtf8, toUtf8 } from "./utf8";
import { UNICODE } from "../features";

/** The class client's options (src/client/client.ts, documented there) that this client takes, with string payloads. */
export interface CoreOptions
  extends Target,
    Pick<ClientOptions, "clientId" | "username" | "keepalive" | "clean" | "connectTimeout" | "maxPacketSize" | "queue" | "inflightWindow" | "ackTimeout"> {
  password?: string;
  will?: { topic: string; payload: string; qos?: 0 | 1 | 2; retain?: boolean };
  /** Backoff (ms): see src/client/backoff.ts; `false`: no reconnect. The ping timeout is the keepalive. */
  reconnect?: BackoffOptions | false;
}

type Cb = (err?: Error | null, granted?: number[]) => void;
export type CoreHandler = (topic: string, payload: string, packet: CoreMessage) => void;

export interface CoreMessage {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
  dup: boolean;
  messageId: number;
}

export interface Core {
  /** true between CONNACK and the connection's end */
  connected: boolean;
  connect(): Core;
  /** `payload`: a binary string (on a board every string is one) or a number. cb(err) once complete. */
  publish(topic: string, payload: string | number, opts?: { qos?: number; retain?: boolean } | Cb, cb?: Cb): Core;
  /** A filter, an array of them (at opts.qos) or {filter: qos}; cb(err, granted) after SUBACK. */
  subscribe(filters: string | string[] | { [filter: string]: number }, opts?: { qos?: number; handler?: CoreHandler } | Cb, cb?: Cb): Core;
  /** cb(err) after UNSUBACK; `options` (the class client's) are taken and not used. */
  unsubscribe(filters: string | string[], options?: object | Cb, cb?: Cb): Core;
  /** Call `handler` for every message whose topic matches `filter`, after the `message` event. */
  route(filter: string, handler: CoreHandler): Core;
  end(force?: boolean | Cb, cb?: Cb): Core;
  emit(ev: string, a?: any, b?: any, c?: any): void;
}

/**
 * Something awaiting its ack: a QoS 1/2 PUBLISH (w 4 PUBACK, 5 PUBREC, then 7
 * PUBCOMP), a SUBSCRIBE (9) or an UNSUBSCRIBE (11); in the offline queue
 * before it has an id, as a publish with its topic and payload.
 */
interface Entry {
  /** ack type awaited */
  w: number;
  /** packet id */
  i: number;
  /** the packet as sent first (a resend adds DUP) */
  b: string;
  /** when sent (ack timeout) */
  s: number;
  cb?: Cb;
  /** publish: topic, its UTF-8 bytes with their length, payload, fixed-header byte, bytes counted by the queue */
  t: string;
  u: string;
  p: string;
  h: number;
  n: number;
  /** subscribe/unsubscribe: filters and their QoS */
  f: string[];
  q: number[];
  /** a resubscription (of a new session) */
  r?: 1;
}

/** Used several times, held once (a `var`: esbuild would inline a `const`). */
var PROTOCOL = "PROTOCOL",
  MALFORMED = "MALFORMED",
  BAD_STRING = "BAD_STRING",
  TOO_LARGE = "PACKET_TOO_LARGE";

/** Two bytes big-endian at `i` [MQTT-1.5.2]. */
function at16(s: string, i: number): number {
  return (at(s, i) << 8) | at(s, i + 1);
}

/** Throw the first error caught, if any (held as [error]: a thrown falsy value counts too). */
function rethrow(x: any) {
  if (x) throw x[0];
}

/** A callback given in place of the options. */
function isFn(f: any): f is Cb {
  return typeof f == "function";
}

/** Not one of the numbers 0, 1, 2. */
function badQos(q: any): boolean {
  return q !== (q & 3) % 3;
}

/** Not a topic name [MQTT-4.7]: not a string, empty, with a wildcard [MQTT-3.3.2-2] or U+0000 [MQTT-4.7.3-2]. */
function badTopic(t: any): boolean {
  return !isStr(t) || !t || /[+#\0]/.test(t);
}

/**
 * A char above U+00FF, which is no byte: payloads are bytes. (Only a Unicode
 * build can hold one: called `UNICODE &&`; a loop, as Espruino's regex classes
 * above \x7f are unreliable.)
 */
function wide(s: string): any {
  for (var i = 0; i < s.length; ) if (at(s, i++) > 255) return 1;
}

/** Not a valid topic filter [MQTT-4.7.1]: empty, `+` not a whole level, `#` not the whole last one, U+0000, no UTF-8 form. */
function badFilter(f: any): boolean {
  return !isStr(f) || !f || /[^/][+#]|\+[^/]|#.|\0/.test(f) || toUtf8(f) == -1;
}

/**
 * A UTF-8 string with its two-byte length [MQTT-1.5.3]; if it has no UTF-8 form
 * or is too long: throws BAD_STRING (`soft`: gives -1).
 */
function str(s: string, soft?: 1): any {
  var b = toUtf8(s);
  if (b == -1 || b.length > 65535) {
    if (soft) return -1;
    throw wrenError(BAD_STRING);
  }
  return u16(b.length) + b;
}

/**
 * The platform comes in as five functions (on a board: net/tls connect,
 * Date.now, setTimeout, clearTimeout, Math.random). Throws BAD_OPTION for a
 * keepalive outside 0-65535 or a will that is no valid topic or QoS, and
 * BAD_STRING for a string with no UTF-8 form.
 */
export function coreClient(
  o: CoreOptions,
  connect: TinyConnect,
  now: () => number,
  setTimer: (fn: () => void, ms: number) => unknown,
  clearTimer: (timer: any) => void,
  random: () => number,
): Core {
  var sock: TinySocket | 0, // the live socket: events of older ones are ignored
    state = 0,
    buf = "", // received bytes not yet a whole packet
    attempt = 0, // backoff exponent
    timer: unknown,
    lastSent: number, // the keepalive runs from the last send [MQTT-3.1.2-23]
    pinging: any, // a PINGREQ awaits its answer
    lastId = 0,
    since: number, // when the connection's CONNACK came
    due: number, // when the timer should fire, by the clock when it was set
    resub: any, // a resubscription was never acknowledged (see end())
    k: any = o.keepalive,
    ka = (k == null ? KEEPALIVE : k) * 1e3,
    w = o.will,
    u = o.username,
    id = o.clientId,
    q = o.queue || {},
    max = o.maxPacketSize || MAX_PACKET,
    // (defaults: the board's, sized to its RAM; off a board 8, 16 and 4096)
    win = (o.inflightWindow! > 0 && o.inflightWindow) || INFLIGHT_MAX,
    qLimit = q.limit == null ? QUEUE_MAX : q.limit,
    qBytes = q.bytes == null ? QUEUE_BYTES : q.bytes,
    // 0 drop-oldest, 1 drop-new, 2 latest
    policy = ({ "drop-new": 1, latest: 2 } as any)[q.policy!] | 0,
    queue: Entry[] = [], // publishes waiting for the connection or the window, oldest first
    queued = 0, // their bytes
    out: Entry[] = [], // awaiting acks, in send order
    in2: { [id: number]: 1 } = {}, // incoming QoS 2 ids until PUBREL [MQTT-4.3.3]
    subs: { [filter: string]: number } = {}, // acknowledged subscriptions: filter -> QoS
    routes: any[] = [], // filter, handler, filter, handler...
    hello: string,
    me = {
      connected: false,
      connect: function () {
        if (!state) (attempt = 0), dial();
        return me;
      },
      publish: function (topic: any, payload: any, opts?: any, cb?: Cb) {
        var x: any, e: Entry, b: any, n: number;
        if (isFn(opts)) (cb = opts), (opts = 0);
        opts = opts || {};
        k = opts.qos || 0;
        if (typeof payload == "number") payload = "" + payload;
        // caller errors: reported now, nothing sent or queued. A topic name: not
        // empty, no wildcard [MQTT-3.3.2-2], no U+0000 [MQTT-4.7.3-2], UTF-8 [MQTT-1.5.3-1]
        x =
          badTopic(topic) || (b = str(topic, 1)) == -1
            ? "BAD_TOPIC"
            : badQos(k)
              ? "BAD_QOS"
              : !isStr(payload) || (UNICODE && wide(payload))
                ? "BAD_PAYLOAD"
                : // the whole packet: fixed header, topic, packet id, payload
                  (n = b.length + (k && 2) + payload.length) + (n < 128 ? 2 : n < 16384 ? 3 : n < 2097152 ? 4 : 5) > max && TOO_LARGE;
        if (x) return fail(cb, x, topic), me;
        e = { t: topic, u: b, p: payload, h: 48 | (k << 1) | (opts.retain ? 1 : 0), cb: cb, n: topic.length + payload.length } as Entry;
        // behind others in the queue, or no room in the window: wait in order
        if (queue[0] || !go(e)) enqueue(e);
        return me;
      },
      // (bound: (filters, options, cb); unsubscribe takes options as the class client does, none apply)
      subscribe: sub.bind(0, 9),
      unsubscribe: sub.bind(0, 11),
      route: function (f: string, h: CoreHandler) {
        routes.push(f, h);
        return me;
      },
      end: function (force?: any, cb?: Cb) {
        var a: any,
          i = 0,
          x: any,
          e: any;
        if (isFn(force)) (cb = force), (force = 0);
        // DISCONNECT: the will is not sent [MQTT-3.14.4-3]
        if (state > 2 && force !== true) write("\xe0\0");
        // close, then what waited fails with ENDED, then `end`: a listener or callback
        // that throws stops none of them (the first is rethrown last)
        for (; i < 3; i++)
          try {
            if (!i) drop(0, 0, 1);
            else if (i > 1) me.emit("end");
            else {
              // (taken now: with what a `close` listener published or subscribed meanwhile)
              a = out.concat(queue);
              // a resubscription never acknowledged: the next connection subscribes again, even to
              // a session the broker says it has (made from a CONNECT whose SUBSCRIBE it lost)
              while ((e = out.pop())) if (e.r) resub = 1;
              queue = [];
              queued = 0;
              settle(a, "ENDED");
            }
          } catch (y) {
            x = x || [y];
          }
        if (cb) cb();
        rethrow(x);
        return me;
      },
    } as any as Core;

  // caller errors in the options: thrown now, nothing is sent. Keepalive is two
  // bytes of whole seconds [MQTT-3.1.2-10]; a will topic is a topic name.
  if ((k != null && (k & 65535) !== k) || (w && (badTopic(w.topic) || badQos(w.qos || 0) || !isStr(w.payload) || (UNICODE && wide(w.payload)) || w.payload.length > 65535)))
    throw wrenError("BAD_OPTION", w ? "will" : "keepalive");
  // no U+0000 in a client id or user name [MQTT-1.5.3-2] (a password is binary data)
  if (/\0/.test(id + (u || ""))) throw wrenError(BAD_STRING);
  // CONNECT, made once: protocol "MQTT" level 4; clean session (a zero-byte id needs it
  // [MQTT-3.1.3-7]); will [MQTT-3.1.2-9..15] (its QoS checked above; none: undefined << 3 is 0);
  // a password only with a username [MQTT-3.1.2-22]
  k = u == null ? 0 : o.password == null ? 128 : 192; // user name and password flags
  hello = packet(
    16,
    "\0\x04MQTT\x04" +
      F(k | (w ? 4 | ((w.qos as any) << 3) | (w.retain ? 32 : 0) : 0) | (o.clean !== false || !id ? 2 : 0)) +
      u16(ka / 1e3) +
      str(id!) +
      (w ? str(w.topic) + u16(w.payload.length) + w.payload : "") +
      (k ? str(u!) : "") +
      (k > 128 ? str(o.password!) : ""),
  );

  // (a CONNECT that can never go: said now, not as a CONNECT_TIMEOUT per attempt)
  if (hello.length > max) throw wrenError(TOO_LARGE);

  /**
   * SUBSCRIBE (w 9) or UNSUBSCRIBE (11): a filter, an array of them (at opts.qos) or
   * (subscribe only) {filter: qos}; each one checked before anything is sent.
   */
  function sub(w: number, f: any, opts?: any, cb?: Cb) {
    var a: string[] = [],
      g: number[] = [],
      i: any,
      j: number;
    if (isFn(opts)) (cb = opts), (opts = 0);
    opts = opts || {};
    if (isStr(f)) f = [f];
    // (on Espruino for-in gives a key like "123" as a number; an object to unsubscribe: refused)
    for (i in f) a.push(f.push ? f[i] : w > 9 ? 0 : "" + i), g.push(f.push ? opts.qos || 0 : f[i]);
    for (i = 0; i < a.length || !i; i++) if (badFilter(a[i]) || badQos(g[i])) return fail(cb, "BAD_FILTER", a[i]), me;
    // (from here on every a[i] is a valid filter: never "")
    if (track({ w: w, f: a, q: g, cb: cb } as Entry)) {
      if (w < 10) {
        if (opts.handler) for (i = 0; a[i]; ) routes.push(a[i++], opts.handler);
      }
      // the filters' routes go now; the subscription once UNSUBACK came (a new array: a
      // handler unsubscribing while received() walks the old one skips no route)
      else for (routes = routes.slice(), i = 0; a[i]; i++) for (j = routes.length - 2; j >= 0; j -= 2) if (routes[j] == a[i]) routes.splice(j, 2);
    }
    return me;
  }

  /**
   * Each entry's callback gets an error `code` (`loud`: as an `error` event when
   * it has none). One that throws stops neither the others nor the caller: the
   * first is rethrown once all ran.
   */
  function settle(a: Entry[], code: string, loud?: 1) {
    for (var e: Entry | undefined, x: any; (e = a.shift()); )
      try {
        if (loud || e.cb) fail(e.cb, code, loud && e.t);
      } catch (y) {
        x = x || [y];
      }
    rethrow(x);
  }

  /** Report error `code` (with `detail`) to `cb`, or as an `error` event. */
  function fail(cb: Cb | undefined | 0, code: string, detail?: any) {
    var err = wrenError(code, detail);
    cb ? cb(err) : me.emit("error", err);
  }

  /** The one timer: backoff, connect timeout, or keepalive and ack timeouts, by state. */
  function onTimer() {
    var t = now(),
      // fired before the wall clock says it should: the clock was set back by d (an NTP
      // sync, Espruino's setTime) while the timer ran, and the timers are right: the
      // times kept are moved back with it
      d = due - t,
      i = 0,
      x: number,
      c: any;
    if (d > 0) for (lastSent -= d, since -= d; i < out.length; ) out[i++].s -= d;
    x = lastSent + ka - t;
    timer = 0;
    if (state < 2) return dial();
    // CONNECT_TIMEOUT, ACK_TIMEOUT, PING_TIMEOUT
    c = state < 3 ? "CONNECT" : ackDue() <= t ? "ACK" : "";
    if (!c) {
      // connected through a keepalive check: the backoff starts again from its minimum
      // (not at CONNACK: a broker that accepts and then closes at once, e.g. another
      // device with the same client id, would get a reconnect storm)
      attempt = 0;
      // nothing sent for a keepalive (x > ka: the clock was set back: ping now)
      if (ka && !(x > 0 && x <= ka)) pinging ? (c = "PING") : (write("\xc0\0"), (pinging = 1));
    }
    c ? drop(c + "_TIMEOUT") : next();
  }

  /** Connected: the timer on the next keepalive check or ack timeout (at most a keepalive away, at least 1 ms). */
  function next() {
    var x = ackDue() - now();
    if (ka) x = Math.min(x, lastSent + ka - now(), ka);
    arm(x < 1 / 0 && Math.max(1, x));
  }

  /** The earliest ack timeout (Infinity: none). */
  function ackDue() {
    for (var d = 1 / 0, i = 0, a = o.ackTimeout, t = now(), e: Entry; a && (e = out[i++]); d = Math.min(d, e.s + a))
      // (a send time after now: the clock was set back, the wait runs from now)
      if (e.s > t) e.s = t;
    return d;
  }

  /** (Re)arm the timer; 0 just stops it. */
  function arm(ms: number | false) {
    if (timer) clearTimer(timer);
    due = now() + (ms as number);
    timer = ms && setTimer(onTimer, ms);
  }

  function write(p: string) {
    (sock as TinySocket).write(p);
    // a send postpones the PINGREQ, but not the wait for its answer
    if (!pinging) lastSent = now();
  }

  /**
   * Track a packet awaiting its ack: an id, then sent now if connected, else
   * on connect. A SUBSCRIBE/UNSUBSCRIBE larger than the maximum packet size
   * fails now (it could never go; `quiet`: not reported). False when refused.
   */
  function track(e: Entry, quiet?: 1) {
    var b = "",
      i = 0;
    if (e.w > 5) {
      for (; e.f[i]; i++) b += str(e.f[i]) + (e.w < 10 ? F(e.q[i]) : ""); // (no filter is "")
      if (packet(0, u16(0) + b).length > max) return quiet || fail(e.cb, TOO_LARGE), false;
    }
    // the next free id: never 0 [MQTT-2.3.1-1], none in use [MQTT-2.3.1-2]
    for (lastId = (lastId % 65535) + 1, i = 0; i < out.length; ) if (out[i++].i == lastId) (lastId = (lastId % 65535) + 1), (i = 0);
    e.i = lastId;
    e.b = e.w > 5 ? packet(e.w == 9 ? 130 : 162, u16(lastId) + b) : packet(e.h, e.u + u16(lastId) + e.p);
    // (topic and payload now live in the packet only)
    e.u = e.p = "";
    out.push(e);
    if (state > 2) send(e), o.ackTimeout && next();
    return true;
  }

  /** (Re)send a tracked packet: PUBREL once PUBREC came, else the packet; DUP on a resend [MQTT-3.3.1-1]. */
  function send(e: Entry) {
    var b = e.b;
    e.s = now();
    write(e.w == 7 ? "\x62\x02" + u16(e.i) : b);
    if (e.w < 6) e.b = F(at(b, 0) | 8) + b.substr(1);
  }

  /** A publish goes now if connected and (QoS > 0) the window has room; `f`: it is the queue's first. */
  function go(e: Entry, f?: 1) {
    if (state < 3 || (e.h & 6 && out.length >= win)) return false;
    // out of the queue before any callback runs (one that throws cannot get it sent again)
    if (f) (queued -= queue.shift()!.n);
    // PUBACK (QoS 1: 4) or PUBREC (QoS 2: 5); QoS 0 is done once written [MQTT-4.3.1]
    if (e.h & 6) (e.w = 3 + ((e.h >> 1) & 3)), track(e);
    else write(packet(e.h, e.u + e.p)), e.cb && e.cb();
    return true;
  }

  /** Queued publishes go while they can, in order; a callback that throws stops neither them nor the caller. */
  function flush(x?: any) {
    for (;;)
      try {
        while (queue[0] && go(queue[0], 1));
        return x;
      } catch (y) {
        x = x || [y];
      }
  }

  /** Into the offline queue within its bounds; what a bound pushes out is reported (QUEUE_DROPPED). */
  function enqueue(e: Entry | 0) {
    var d: Entry[] = [],
      i = 0,
      x: Entry;
    if (policy == 2)
      for (; i < queue.length; i++)
        if (queue[i].t == (e as Entry).t) {
          queued -= queue[i].n;
          d.push(queue.splice(i, 1)[0]);
          break;
        }
    while (queue.length >= qLimit || queued + (e as Entry).n > qBytes) {
      // drop-new, or nothing left to push out, or too big for the queue at all
      if (policy == 1 || !queue[0] || (e as Entry).n > qBytes) {
        d.push(e as Entry);
        e = 0;
        break;
      }
      d.push((x = queue.shift()!));
      queued -= x.n;
    }
    if (e) queue.push(e), (queued += e.n);
    // reported last: a callback that throws cannot lose `e` or leave the queue over its bounds
    settle(d, "QUEUE_DROPPED", 1);
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
    arm(o.connectTimeout || 3e4);
    // (the timer and socket first: a listener that throws leaves a client that still
    // retries, one that calls end() closes this socket, connect() does nothing)
    try {
      s = sock = connect(o, function () {
        if (s == sock) write(hello);
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
      r = o.reconnect;
    if (r === false) stop = 1;
    sock = 0;
    buf = "";
    state = stop ? 0 : 1;
    me.connected = false;
    // keepalive off: no check ever resets the backoff while connected; a minute
    // connected does (a broker that kicks at once still gets no storm)
    if (up && !ka && now() - since >= 6e4) attempt = 0;
    // the next attempt is armed before any event: a listener that throws cannot stop
    // the retries, one that calls end() clears it (|| 1: backoff may give 0)
    arm(!stop && (backoff(attempt++, r || {}, random()) || 1));
    if (s) s.end();
    if (code) fail(0, code, detail);
    if (s || !stop) me.emit("close");
    if (up) me.emit("offline");
  }

  /**
   * A chunk: append, then handle every whole packet (fixed header + remaining
   * length). A listener that throws stops neither the packets after its own nor
   * the connection: the first error is rethrown once the chunk is done.
   */
  function receive(chunk: string) {
    var s = sock,
      e: any,
      b: string,
      j: number,
      n: number,
      m: number,
      x: number,
      h: number,
      p: string,
      c: any;
    for (buf += chunk; s == sock; )
      try {
        // remaining length, at most 4 bytes [MQTT-2.2.3] (j > 5: a 5th one, malformed);
        // past the end x is NaN: & gives 0, the loop stops and j > b.length.
        for (b = buf, j = 1, n = 0, m = 1, c = 0; (n += ((x = at(b, j++)) & 127) * m), x > 127 && j < 6; m *= 128);
        if (n + j > max || j > 5) {
          drop(TOO_LARGE);
          break;
        }
        // not whole yet
        if (j + n > b.length) break;
        x = (h = at(b, 0)) >> 4;
        p = b.substr(j, n);
        // consumed before any listener runs: one that throws cannot get the packet again
        buf = b.substr(j + n);
        pinging = 0; // any packet answers a PINGREQ
        // c: an error code: the connection drops, with the type as detail (a refused CONNACK: its code)
        // CONNACK first, and once [MQTT-3.2.0-1]
        if ((x == 2) == state > 2) c = PROTOCOL;
        // reserved flags: 0010 in PUBREL, 0000 in the others but PUBLISH [MQTT-2.2.2-2];
        // CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK hold two bytes, PINGRESP none,
        // SUBACK an id and codes [MQTT-4.8.0-1]
        else if ((x != 3 && (h & 15) != (x == 6 ? 2 : 0)) || ((0x8f4 >> x) & 1 && n != 2) || (x == 13 && n) || (x == 9 && n < 3)) c = MALFORMED;
        else if (x == 3) c = received(h, p);
        // CONNACK: acknowledge flags bits 7-1 reserved [MQTT-3.2.2.1]; 1..5: refused [MQTT-3.2.2.3]
        else if (x == 2) c = at(p, 0) > 1 ? MALFORMED : (x = at(p, 1)) ? "CONNACK_REFUSED" : connected(at(p, 0) & 1);
        else if (x == 6) {
          delete in2[at16(p, 0)];
          // PUBCOMP even for an unknown id, so the server can free it
          write("\x70\x02" + p);
        } else if ((0xab0 >> x) & 1) c = acked(x, p);
        else if (x != 13) c = PROTOCOL;
        if (c) drop(c, "" + x);
      } catch (y) {
        e = e || [y];
      }
    rethrow(e);
  }

  /** CONNACK accepted (sp: session present). */
  function connected(sp: number) {
    var n = out.length,
      i = 0,
      a: string[] = [],
      g: number[] = [],
      f: any;
    state = 3;
    since = now();
    me.connected = true;
    // a new session: the server forgot our subscriptions and its QoS 2 ids
    if (!sp) in2 = {};
    if (!sp || resub) {
      resub = 0;
      for (f in subs) a.push("" + f), g.push(subs[f]);
      // (no callback: a refused filter is an `error` event)
      // one SUBSCRIBE; larger than the maximum packet size: one per filter
      if (a[0] && !track({ w: 9, f: a, q: g, r: 1 } as Entry, 1))
        for (f = 0; a[f]; f++) track({ w: 9, f: [a[f]], q: [g[f]], r: 1 } as Entry);
    }
    // everything unacknowledged again, in the original order [MQTT-4.4.0-1] (not that
    // SUBSCRIBE, sent just now: first, so first in `out` too, and a later resend keeps
    // it before an UNSUBSCRIBE sent after it)
    for (; i < n; ) send(out[i++]);
    out = out.concat(out.splice(0, n));
    next();
    // (a queued publish's callback that throws neither stops the queue nor the event)
    f = flush();
    // (not when a callback of that flush ended the client)
    if (state > 2) me.emit("connect", { sessionPresent: !!sp });
    rethrow(f);
  }

  /** An incoming PUBLISH: ack, then deliver (QoS 2: once, until PUBREL frees the id); PROTOCOL if invalid. */
  function received(h: number, p: string) {
    var q = (h >> 1) & 3,
      n = at16(p, 0),
      id = q && at16(p, n + 2),
      t: any = fromUtf8(p.substr(2, n)),
      // (only a QoS 2 PUBLISH can be the resend of one awaiting PUBREL)
      d: any = q > 1 && in2[id],
      // where the payload starts
      i = n + 2 + (q && 2),
      m: any,
      x: any;
    // QoS 3 [MQTT-3.3.1-4], no id at QoS > 0 [MQTT-2.3.1-1], a topic past the end, empty,
    // with a wildcard [MQTT-3.3.2-2] or not UTF-8 [MQTT-1.5.3-1] (-1: no string, a bad topic)
    if (q > 2 || (q && !id) || i > p.length || badTopic(t)) return PROTOCOL;
    p = p.substr(i);
    // (acked first: a listener that throws cannot hold the ack back)
    // PUBACK (0x40) or PUBREC (0x50)
    if (q) write(F(48 + q * 16, 2) + u16(id));
    if (q > 1) in2[id] = 1;
    if (!d) {
      m = { topic: t, payload: p, qos: q, retain: !!(h & 1), dup: !!(h & 8), messageId: id };
      // the `message` event (i = -2), then each matching route; one that throws stops
      // none of the others: the first error is rethrown after
      for (d = routes, i = -2; i < d.length; i += 2)
        try {
          i < 0 ? me.emit("message", t, p, m) : matches(d[i], t) && d[i + 1](t, p, m);
        } catch (y) {
          x = x || [y];
        }
      rethrow(x);
    }
  }

  /** PUBACK, PUBREC, PUBCOMP, SUBACK or UNSUBACK (type x, body p); PROTOCOL if invalid. */
  function acked(x: number, p: string) {
    var id = at16(p, 0),
      i = 0,
      e: Entry,
      g: any,
      err: any,
      t: any,
      f: string;
    for (; (e = out[i]) && !(e.i == id && e.w == x); i++);
    if (x == 5) {
      // PUBREL even for an unknown id, so the server can free it
      write("\x62\x02" + p);
      // PUBRELs go (and after a reconnect go again) in PUBREC order [MQTT-4.6.0-4]
      if (e) (e.w = 7), (e.s = now()), out.push(out.splice(i, 1)[0]);
      return;
    }
    // no entry: a late or duplicate ack, nothing waits for it
    if (!e) return;
    // one return code per filter [MQTT-3.9.3-1]
    if (x == 9 && p.length - 2 != e.f.length) return PROTOCOL;
    out.splice(i, 1);
    if (x == 9) g = [];
    // SUBACK: keep the granted filters, report any refused (0x80); UNSUBACK: forget them
    // (filters are never empty strings)
    for (i = 0; x > 7 && (f = e.f[i]); i++)
      if (x > 9) delete subs[f];
      else if ((g[i] = at(p, i + 2)) > 2) err = wrenError("SUBACK_FAILED", f);
      else subs[f] = e.q[i];
    try {
      if (e.cb) e.cb(err, g);
      else if (err) me.emit("error", err);
    } catch (y) {
      t = [y];
    }
    // a callback that throws must not stall the queue: the window has room
    rethrow(flush() || t);
  }

  return me;
}
