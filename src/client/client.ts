/**
 * The MQTT client session: a state machine driven only by the HAL. It owns no
 * socket, timer or global: bytes come in through the transport handler, time
 * through the clock, and everything it must do later hangs off ONE timer set
 * to the earliest deadline (connect timeout, keepalive, ack timeout,
 * reconnect). So it runs the same on Espruino, Node and a virtual clock.
 *
 * Profiles: core = complete MQTT 3.1.1; 5.0 and flash persistence sit behind
 * `if (V5)` / `if (PERSIST)` and leave no code in the core bundle. (The tiny
 * profile is its own client, src/tiny.)
 *
 * Session state is plain data (numbers, arrays, plain objects, packets) so a
 * later layer can save and restore it across deep sleep: `_id` (last packet
 * id), `_out` (unacknowledged outgoing PUBLISH/PUBREL/SUBSCRIBE/UNSUBSCRIBE
 * in send order), `_in2` (incoming QoS 2 ids awaiting PUBREL), `_subs`
 * (acknowledged subscriptions), `_q._a` (offline queue) and the keepalive
 * policy's numbers.
 *
 * Events go through `this.emit`: Espruino gives every object one; on Node
 * the entry mixes in src/client/emitter.ts.
 */
import { V5, PERSIST } from "../features";
import { ERROR, fail, isStr, wrenError } from "../errors";
import type { Connection, Hal, Target } from "../hal/hal";
import {
  PacketType,
  type ConnackPacket,
  type ConnectPacket,
  type Packet,
  type Properties,
  type PublishPacket,
  type QoS,
  type SubackPacket,
  type Subscription,
  type SubscribePacket,
  type UnsubscribePacket,
} from "../codec/packet";
import { encodeAck, encodeConnect, encodeDisconnect, encodePingreq, encodePublish, encodeSubscribe, encodeUnsubscribe, type Encoded } from "../codec/encode";
import { Decoder } from "../codec/decoder";
import { Writer } from "../codec/writer";
import { PACKET_TOO_LARGE } from "../codec/errors";
import type { WrenError } from "../errors";
import { backoff, type BackoffOptions } from "./backoff";
import { KeepaliveAction, SpecKeepalive, type KeepalivePolicy } from "./keepalive";
import { Queue, type Callback, type Queued } from "./queue";
import { matches, validFilter, validTopic } from "./topic";
import { restore, sleep, type SleepOptions } from "./session-record";
import { INFLIGHT_MAX, ON_BOARD, QUEUE_BYTES, QUEUE_MAX, TOPIC_ALIASES } from "../entry/board";

export type { Callback } from "./queue";

export interface ClientOptions extends Partial<Target> {
  /** Required (the Espruino entry defaults it to getSerial()). */
  clientId: string;
  username?: string;
  password?: string | Uint8Array;
  /** Seconds, default 60; 0 turns keepalive off [MQTT-3.1.2-10]. */
  keepalive?: number;
  /** Ms to wait for PINGRESP (or any packet) after PINGREQ; default: the keepalive interval. */
  pingTimeout?: number;
  /** Clean session (3.1.1) / clean start (5.0), default true. */
  clean?: boolean;
  will?: { topic: string; payload: string | Uint8Array; qos?: QoS; retain?: boolean; properties?: Properties };
  /** Reconnect backoff (ms); `false` disables automatic reconnect. */
  reconnect?: BackoffOptions | false;
  /** Ms from dialing to CONNACK, default 30000. */
  connectTimeout?: number;
  /** Largest packet sent or accepted, bytes. */
  maxPacketSize?: number;
  /** Offline queue bounds: `limit` entries (default 16), `bytes` of topic+payload (default 4096); a board build: the board's. */
  queue?: { limit?: number; bytes?: number; policy?: "drop-oldest" | "drop-new" | "latest" };
  /** QoS 1/2 publishes in flight at once (default 8, a board build: the board's; 5.0: also <= server receiveMaximum). */
  inflightWindow?: number;
  /** Ms to wait for an ack (PUBACK/PUBREC/PUBCOMP/SUBACK/UNSUBACK) before declaring the link dead; 0 = off (default). */
  ackTimeout?: number;
  /** 4 = MQTT 3.1.1 (default), 5 = MQTT 5.0 (V5 builds). */
  protocolVersion?: 4 | 5;
  /**
   * 5.0 CONNECT properties. `topicAliasMaximum: n` lets the server send topic aliases
   * 1..n (the `message` event still gets the topic).
   */
  properties?: Properties;
  /** 5.0: give topics aliases, as many as the server's CONNACK allows, at most 32 (default true). */
  topicAliases?: boolean;
  /** Keepalive policy (the seam for battery-aware policies); default SpecKeepalive. */
  keepalivePolicy?: KeepalivePolicy;
}

export interface PublishOptions {
  qos?: QoS;
  retain?: boolean;
  properties?: Properties;
}

export interface SubscribeOptions {
  qos?: QoS;
  /** Called for every message whose topic matches the filter (see `route`). */
  handler?: MessageHandler;
  /** 5.0 subscription options. */
  nl?: boolean;
  rap?: boolean;
  rh?: 0 | 1 | 2;
  properties?: Properties;
}

export type MessageHandler = (topic: string, payload: Uint8Array, packet: PublishPacket) => void;

/** Connection states. */
export const enum State {
  /** Waiting to redial (reconnect deadline `_rt`, or link down when -1). */
  IDLE = 0,
  /** Transport dialing. */
  OPENING = 1,
  /** CONNECT sent, waiting for CONNACK. */
  CONNECTING = 2,
  CONNECTED = 3,
  /** Not started, or end() called. */
  ENDED = 4,
}

/** An unacknowledged outgoing packet. */
export interface Pending {
  p: PublishPacket | SubscribePacket | UnsubscribePacket;
  cb?: Callback;
  /** Packet type expected next: PUBACK, PUBREC, PUBCOMP (after PUBREL), SUBACK or UNSUBACK. */
  w: number;
  /** When last sent (ack timeout). */
  t: number;
}

/** 3.1.1 CONNACK return codes 1..5 [MQTT-3.2.2.3]; split where used (a plain string is shorter than an array). */
var REFUSED = "unacceptable protocol version,identifier rejected,server unavailable,bad username or password,not authorized";

/** Strings used several times, held once (a `var`: esbuild would inline a `const`). */
var PROTOCOL = "PROTOCOL";
var TAM = "topicAliasMaximum" as "topicAliasMaximum";

function noop(): void {}

function fn(x: unknown): x is Function {
  return typeof x == "function";
}

/** Not one of the numbers 0, 1, 2 (-1, 3, 1.5 and "1" are bad). */
function badQos(q: unknown): boolean {
  return q !== ((q as number) & 3) % 3;
}

export interface Client {
  /**
   * Call `handler(topic, payload, packet)` for every received message
   * whose topic matches `filter` (+ and # wildcards), after the `message`
   * event. Local only: it does not subscribe; unsubscribe(filter) removes it.
   */
  route(filter: string, handler: MessageHandler): this;
  on(event: "connect", fn: (connack: ConnackPacket) => void): this;
  on(event: "message", fn: MessageHandler): this;
  on(event: "error", fn: (err: WrenError) => void): this;
  on(event: "drop", fn: (packet: PublishPacket, err: WrenError) => void): this;
  on(event: "close" | "offline" | "reconnect" | "end" | "ping", fn: () => void): this;
  /** A PINGRESP arrived; `rtt`: ms since our PINGREQ (-1 if the policy does not know). */
  on(event: "pingresp", fn: (rtt: number) => void): this;
  /**
   * Full (PERSIST): deep sleep for `ms`: wait (bounded) for in-flight messages, save the
   * session in one storage write, disconnect, `cb(err)`, then `hal.power.deepSleep(ms)`.
   * At boot call `restore()` before `connect()` (clean = false). See session-record.ts.
   */
  sleep(ms: number, cb?: (err?: Error) => void, options?: SleepOptions): this;
  /** Full (PERSIST): load the saved session before `connect()`; SESSION_CORRUPT if unusable. */
  restore(): WrenError | undefined;
  on(event: string, fn: (...args: any[]) => void): this;
  removeListener(event: string, fn: (...args: any[]) => void): this;
  emit(event: string, ...args: any[]): boolean;
}

/*
 * Internals are module functions taking the client, not methods: a bundle
 * drops those it never calls, and `c._x` is shorter than `this._x` once
 * minified. Locals are declared only where every profile uses them: esbuild
 * keeps an unused `var`, and its initializer.
 */
export interface Client {
  _o: ClientOptions;
  _h: Hal;
  _s: State;
  /** true between CONNACK and the connection's end (as in MQTT.js) */
  connected: boolean;
  /** the current connection: callbacks of any other (older) one are ignored */
  _c: Connection | null | undefined;
  /** protocol version */
  _v: 4 | 5;
  /** keepalive ms */
  _ka: number;
  /** when the CONNECT was sent: the keepalive runs from it [MQTT-3.1.2-23] */
  _ct: number;
  /** reconnect attempt (backoff exponent) */
  _n: number;
  /** deadline of the current state: reconnect (IDLE; -1 = wait for the link) or CONNACK (OPENING/CONNECTING) */
  _dl: number;
  /** armed timer: deadline (-1 = none) and handle */
  _ta: number;
  /** ms the client's time runs ahead of the clock: the clock was set back by that much (see now()) */
  _k: number;
  _tm: unknown;
  /** the timer callback, made once */
  _tf: () => void;
  /** keepalive policy */
  _kp: KeepalivePolicy;
  /** the stream decoder, reset per connection; this client is its handler */
  _d: Decoder;
  /** last packet id */
  _id: number;
  /** unacknowledged PUBLISH/PUBREL/SUBSCRIBE/UNSUBSCRIBE in send order */
  _out: Pending[];
  /** subscriptions by filter (once acknowledged), resubscribed on a new session */
  _subs: { [filter: string]: Subscription };
  /** end() dropped a resubscription (its packet marked `r`) never acknowledged: resubscribe at the next CONNACK */
  _rs?: number;
  /** incoming QoS 2 packet ids between PUBLISH and PUBREL [MQTT-4.3.3] */
  _in2: number[];
  /** routes: filter, handler, filter, handler... */
  _r: (string | MessageHandler)[];
  _q: Queue;
  /** in-flight window; `_w0` the configured one (5.0: a server's Receive Maximum may lower `_win` for its connection) */
  _win: number;
  _w0: number;
  /** packet ids may clash with ids in flight (counter wrapped, or session restored): nid() scans. */
  _idScan?: number;
  /** own writer when maxPacketSize (or 5.0: the server's) is set (its `max`), else the codec's shared one */
  _wr: Writer | undefined;
  /** 5.0: the last CONNACK's properties (server limits), 0 if it had none */
  _cp?: Properties;
  /** 5.0, this connection's topic aliases: ours (topic of alias i + 1; none allowed: not an array) and the server's (topic of alias i) */
  _oa?: string[] | 0 | false;
  _ia?: string[];

  connect(): Client;
  publish(topic: string, payload: string | Uint8Array, options?: PublishOptions | Callback, cb?: Callback): Client;
  subscribe(filter: string | string[] | { [filter: string]: QoS }, options?: SubscribeOptions | Callback, cb?: Callback): Client;
  unsubscribe(filter: string | string[], options?: { properties?: Properties } | Callback, cb?: Callback): Client;
  end(force?: boolean | Callback, cb?: Callback): Client;
  onPacket(p: Packet): void;
  onError(err: WrenError): void;
}

/**
 * A plain constructor with prototype methods rather than a class: the ES5
 * lowering wraps a class in an IIFE and spells out `X.prototype.` per method.
 */
export var Client = function (this: Client, o: ClientOptions, hal: Hal) {
  var c = this,
    k = o.keepalive,
    q = o.queue || {},
    w: any = o.will;
  // caller errors in the options: thrown now, nothing is sent. Keepalive is
  // two bytes of whole seconds [MQTT-3.1.2-10] (`&` keeps only those: a
  // fraction, sign or higher bit makes it differ); a will topic is a topic name.
  // (`w`, once checked, holds the error's detail)
  if ((w = k != null && (k & 65535) != k ? "keepalive " + k : w && (!validTopic(w.topic) || badQos(w.qos || 0)) && "will"))
    throw wrenError("BAD_OPTION", w);
  c._o = o;
  c._h = hal;
  c._s = State.ENDED;
  c._id = 0;
  c._ta = -1;
  c._k = 0;
  c._subs = {};
  c._v = V5 && o.protocolVersion == 5 ? 5 : 4;
  c._ka = (k == null ? 60 : k) * 1000;
  // the timer fired: handle the deadline that passed, then re-arm (made once)
  c._tf = function () {
    var t = now(c),
      s = c._s,
      a: KeepaliveAction;
    // fired before the clock says: it was set back (an NTP sync, Espruino's setTime)
    // while the timer ran, and the timer is right: the client's time runs on from it
    if (c._ta > t) (c._k += c._ta - t), (t = c._ta);
    c._ta = -1;
    if (s < State.CONNECTED) {
      if (c._dl >= 0 && t >= c._dl) return s ? drop(c, "CONNECT_TIMEOUT") : dial(c);
    } else if (s == State.CONNECTED) {
      if (t >= ackDue(c, 1 / 0)) return drop(c, "ACK_TIMEOUT");
      a = c._kp.timer(t);
      if (a == KeepaliveAction.DEAD) return drop(c, "PING_TIMEOUT");
      // connected through a keepalive check: the backoff starts again from its minimum
      // (not at CONNACK: a broker that accepts and then closes at once would get a storm)
      c._n = 0;
      // (armed before the event: a listener that throws cannot stop the timer)
      if (a == KeepaliveAction.PING) return write(c, encodePingreq()), arm(c), c.emit("ping");
    }
    arm(c);
  };
  // (no limit: 3e8, above the largest packet MQTT can frame (268,435,460 bytes) and, unlike
  // Infinity, a small integer: no number box per client)
  c._d = new Decoder(c._v, o.maxPacketSize || 3e8, c);
  // a session restored into this client may hold any ids: the first nid() scans
  c._idScan = 1;
  c.connected = false;
  c._out = [];
  c._in2 = [];
  c._r = [];
  // (a full board bundle: the entry always gives one, see ON_BOARD)
  c._kp = PERSIST && ON_BOARD ? o.keepalivePolicy! : o.keepalivePolicy || new SpecKeepalive(o.pingTimeout);
  // the bounds default to the board's (boards/*.json; off a board 8 in flight, 16 messages, 4096 bytes)
  c._win = c._w0 = o.inflightWindow! > 0 ? o.inflightWindow! : INFLIGHT_MAX;
  c._q = new Queue(q.limit == null ? QUEUE_MAX : q.limit, q.bytes == null ? QUEUE_BYTES : q.bytes, (({ "drop-new": 1, latest: 2 } as any)[q.policy!] | 0), function (e) {
    var err = wrenError("QUEUE_DROPPED", e.p.topic),
      x: any;
    // (the event even when the callback throws: a drop is never silent)
    try {
      fail(c, e.cb, err);
    } catch (y) {
      x = [y];
    }
    c.emit("drop", e.p, err);
    if (x) throw x[0];
  });
  if (o.maxPacketSize) (c._wr = new Writer()).max = o.maxPacketSize;
} as unknown as { new (options: ClientOptions, hal: Hal): Client; prototype: Client };

var P = Client.prototype;

/** Start (or start again after end()): dial now, then keep the connection up. */
P.connect = function () {
  var c = this;
  if (c._s == State.ENDED) {
    c._n = 0;
    // follow the link: up, dial now; down, stop dialing and drop the
    // connection at once (Espruino may drop its sockets without a `close`
    // when WiFi goes, so the old connection cannot be trusted to fail)
    if (c._h.link)
      c._h.link.onChange(function (up) {
        if (c._s == State.IDLE) up ? dial(c) : (c._dl = -1);
        else if (!up && c._s != State.ENDED) drop(c, "LINK_DOWN");
      });
    dial(c);
  }
  return c;
};

/**
 * Publish `payload` (a string is sent as UTF-8) to `topic`. `cb(err)` runs
 * when the publish is complete: written (QoS 0), PUBACK (1), PUBCOMP (2); or
 * with an error: bad input (synchronously, nothing sent or queued), dropped
 * by the offline queue (QUEUE_DROPPED), end() (ENDED). Without `cb` errors
 * go to the `error` event.
 */
P.publish = function (topic: string, payload: string | Uint8Array, options?: PublishOptions | Callback, cb?: Callback) {
  // (a callback in `options` reads as no options: it has no qos, retain, properties)
  var c = this,
    o = (options || {}) as PublishOptions,
    q = o.qos || 0,
    p: PublishPacket = { type: PacketType.PUBLISH, topic: topic, payload: payload as Uint8Array, qos: q as QoS, retain: !!o.retain, dup: false },
    x: Encoded | 0,
    e: Queued;
  if (fn(options)) cb = options;
  // caller errors: reported now, nothing sent or queued
  x = !validTopic(topic) ? "BAD_TOPIC" : badQos(q) ? "BAD_QOS" : !isStr(payload) && !(payload instanceof Uint8Array) ? "BAD_PAYLOAD" : 0;
  if (V5) p.properties = o.properties;
  // encode once to catch what only the codec sees: too large, too long, bad property
  if (!x && !isStr((x = encodePublish(p, c._v, c._wr)))) x = 0;
  if (x) fail(c, cb, wrenError(x, topic));
  // behind others in the queue, or no room in the window: wait in order
  // (e made only now: topic or payload may be undefined above)
  else if (((e = { p: p, cb: cb, n: topic.length + payload.length }), c._q._a.length || !go(c, e))) c._q.add(e);
  return c;
};

/**
 * Subscribe to a filter, an array of filters (all at `opts.qos`) or an
 * object {filter: qos}. `cb(err, granted)` after SUBACK with the granted
 * QoS / reason codes in order; err (SUBACK_FAILED) if any is >= 0x80.
 * `opts.handler` routes matching messages to it (see `route`).
 * While offline the SUBSCRIBE is sent on connect.
 */
P.subscribe = function (filter: string | string[] | { [filter: string]: QoS }, options?: SubscribeOptions | Callback, cb?: Callback) {
  var c = this,
    f: any = isStr(filter) ? [filter] : filter,
    o = (options || {}) as SubscribeOptions,
    a: Subscription[] = [],
    k: any,
    s: Subscription,
    i = 0;
  if (fn(options)) cb = options;
  // the filters `f`: an array, or an object filter: qos
  for (k in f) {
    // (on Espruino for-in gives a key like "123" as a number)
    // (5.0: all fields in the literal, none added after: the object stays in one piece)
    a.push(V5 ? { topic: f.push ? f[k] : "" + k, qos: f.push ? o.qos || 0 : f[k], nl: o.nl, rap: o.rap, rh: o.rh } : { topic: f.push ? f[k] : "" + k, qos: f.push ? o.qos || 0 : f[k] });
  }
  // an empty list meets validFilter(undefined)
  for (; i < a.length || !i; i++)
    if (!validFilter((s = a[i] || ({} as Subscription)).topic) || badQos(s.qos)) return fail(c, cb, wrenError("BAD_FILTER", s.topic)), c;
  k = { type: PacketType.SUBSCRIBE, subscriptions: a } as SubscribePacket;
  if (V5) k.properties = o.properties;
  if (track(c, k, cb, PacketType.SUBACK) && o.handler) for (i = 0; i < a.length; i++) c.route(a[i].topic, o.handler);
  return c;
};

/** Unsubscribe; also removes the filters' routes. `cb(err)` after UNSUBACK. */
P.unsubscribe = function (filter: string | string[], options?: { properties?: Properties } | Callback, cb?: Callback) {
  var c = this,
    f = isStr(filter) ? [filter] : filter,
    r = c._r,
    i = 0,
    j: number,
    p: UnsubscribePacket;
  if (fn(options)) cb = options;
  // an empty list meets validFilter(undefined)
  for (; i < f.length || !i; i++) if (!validFilter(f[i])) return fail(c, cb, wrenError("BAD_FILTER", f[i])), c;
  p = { type: PacketType.UNSUBSCRIBE, unsubscriptions: f } as UnsubscribePacket;
  if (V5 && options) p.properties = (options as { properties?: Properties }).properties;
  // then drop the filters' routes and subscriptions
  // (into a new array: a handler unsubscribing while msg() walks the old one skips no route)
  if (track(c, p, cb, PacketType.UNSUBACK))
    for (c._r = r = r.slice(), i = 0; i < f.length; i++) {
      for (j = r.length - 2; j >= 0; j -= 2) if (r[j] == f[i]) r.splice(j, 2);
      delete c._subs[f[i]];
    }
  return c;
};

/**
 * Stop: send DISCONNECT (unless `force`) and close; no more reconnects.
 * Callbacks of queued and unacknowledged messages get an ENDED error.
 * The `close` (if a connection was open) and `end` events and `cb` follow
 * synchronously. connect() starts again.
 */
P.end = function (force?: boolean | Callback, cb?: Callback) {
  var c = this,
    k = c._c,
    s = c._s,
    a: (Pending | Queued)[] = c._out,
    e: Pending | Queued | undefined,
    x: any;
  if (fn(force)) cb = force;
  c._s = State.ENDED;
  c._c = null;
  // stops a decoder push in progress: nothing after end() is handled
  c._d.reset();
  arm(c);
  if (k) {
    // (a callback in `force` is not `true`)
    if (s == State.CONNECTED && force !== true) k.write(encodeDisconnect(c._v) as Uint8Array), k.end();
    else k.destroy();
    // (a listener that throws stops nothing here: rethrown last)
    try {
      c.emit("close");
    } catch (y) {
      x = [y];
    }
  }
  // callbacks of unacknowledged and queued messages get ENDED (also when
  // already ENDED: reconnect:false ends without failing pending work).
  // One that throws stops neither the others nor end(): `x` = [first error
  // thrown], rethrown last (try/catch, no `finally`: Espruino has bugs with it).
  // (`k`, done with, holds the error)
  k = wrenError("ENDED") as any;
  c.connected = false;
  c._out = [];
  while ((e = a.shift() || c._q.shift()))
    try {
      // a resubscription never acknowledged: the next connection subscribes again, even to a
      // session the broker says it has (made from a CONNECT whose SUBSCRIBE it lost)
      if ((e.p as any).r) c._rs = 1;
      if (e.cb) e.cb(k as any);
    } catch (y) {
      x = x || [y];
    }
  try {
    c.emit("end");
  } catch (y) {
    x = x || [y];
  }
  if (cb) cb();
  if (x) throw x[0];
  return c;
};

/** Decoder handler: a packet arrived. */
P.onPacket = function (p: Packet) {
  // CONNACK accepted, and every packet after it, handled here (not in
  // functions of their own: each would cost its header and call)
  var c = this,
    t = p.type,
    o = c._out,
    id = (p as { messageId: number }).messageId,
    g = (p as SubackPacket).granted,
    i = 0,
    n: number,
    k: any,
    e: Pending | undefined,
    rc: number,
    // (an Error, or in a CONNACK (5.0) the failed resends)
    err: any,
    a: Subscription[],
    x: Properties;
  // (`k` is the round trip the policy measured, when it is the PINGRESP)
  k = c._kp.received(now(c), t) as number;
  if (t == PacketType.PINGRESP) c.emit("pingresp", k);
  // CONNACK first and only then [MQTT-3.2.0-1]
  if ((c._s == State.CONNECTING) != (t == PacketType.CONNACK)) drop(c, PROTOCOL, "" + t);
  else if (t == PacketType.CONNACK) {
    // 3.1.1: 1..5 refused [MQTT-3.2.2.3]; 5.0: reason codes >= 0x80
    if ((k = (p as ConnackPacket).returnCode)) return drop(c, "CONNACK_REFUSED", ((!V5 || c._v == 4) && REFUSED.split(",")[k - 1]) || "" + k);
    // 5.0: after Clean Start 1 we have no session, so a present one is an error [MQTT-3.2.2-4]
    if (V5 && c._v == 5 && (p as ConnackPacket).sessionPresent && c._o.clean !== false) return drop(c, PROTOCOL, "2");
    c._s = State.CONNECTED;
    // (k: the keepalive ms, then a filter)
    n = o.length;
    k = c._ka;
    a = [];
    c.connected = true;
    // 5.0: this connection's server limits; go() checks Maximum QoS and Retain Available
    // (none: 0, whose fields read as undefined like an empty object's, and costs no object per client)
    if (V5) {
      c._cp = x = (p as ConnackPacket).properties || (0 as Properties);
      err = [];
      if (x.serverKeepAlive != null) k = x.serverKeepAlive * 1000;
      // Receive Maximum, for this connection only (absent: 65,535 [3.2.2.3.3])
      c._win = Math.min(c._w0, x.receiveMaximum || 1 / 0);
      // Maximum Packet Size [MQTT-3.2.2-15]: the writer refuses larger packets (a CONNACK without it lifts it)
      if (x.maximumPacketSize || c._wr) (c._wr = c._wr || new Writer()).max = Math.min(c._o.maxPacketSize || 1 / 0, x.maximumPacketSize || 1 / 0);
      // topic aliases hold for one connection [MQTT-3.3.2-7]; ours only if the server
      // allows some [MQTT-3.2.2-18] (see enc)
      c._ia = [];
      c._oa = x[TAM] && c._o.topicAliases !== false && [];
    }
    c._kp.start(now(c), k);
    // the keepalive runs from the CONNECT, the last packet sent [MQTT-3.1.2-23], not from this CONNACK
    c._kp.sent(c._ct);
    // a new session: the server forgot our subscriptions and its QoS 2 ids
    if (!(k = (p as ConnackPacket).sessionPresent)) c._in2 = [];
    if (!k || c._rs) {
      c._rs = 0;
      for (k in c._subs) a.push(c._subs[k]);
      // one SUBSCRIBE; too large for the packet size limit: one per filter (`r`: see end();
      // no callback, 0: a failure goes to the `error` event)
      if (a[0] && !track(c, { type: PacketType.SUBSCRIBE, subscriptions: a, r: 1 } as any, noop, PacketType.SUBACK))
        for (k = 0; k < a.length; k++) track(c, { type: PacketType.SUBSCRIBE, subscriptions: [a[k]], r: 1 } as any, 0 as any, PacketType.SUBACK);
    }
    // resend everything unacknowledged in the original order (not that SUBSCRIBE, sent just now),
    // PUBLISH with DUP [MQTT-4.4.0-1] [MQTT-3.3.1-1], PUBREL once PUBREC came.
    // 5.0: a packet over this server's Maximum Packet Size [MQTT-3.2.2-15] (it
    // fitted the last one's) is not sent: the server would disconnect us, again on
    // every reconnect. It leaves the set (its id is free again) and fails once the
    // rest went and `connect` was emitted (held in `err`). (The codec's other refusals depend on the packet
    // alone: track() saw them before it first went.)
    for (; i < n; i++)
      if (V5 && (e = o[i]).w != PacketType.PUBCOMP && isStr(enc(c, e.p))) err.push(e), o.splice(i--, 1), n--;
      else send(c, V5 ? e! : o[i]);
    // that SUBSCRIBE went first, so first in `_out` too: a later resend keeps it before
    // an UNSUBSCRIBE (or a SUBSCRIBE of another QoS) sent after it [MQTT-4.6.0]
    c._out = o.splice(n).concat(o);
    // a fresh timer: the connect timeout's would fire late if the clock jumped since it was set
    c._ta = -1;
    arm(c);
    // (a queued publish's callback that throws neither stops the queue nor the event)
    k = flush(c);
    // (not when a callback of that flush ended the client or lost the connection; then
    // the timer again: a listener may have changed the keepalive policy, see natWire)
    if (c.connected) c.emit("connect", p), c._s == State.CONNECTED && arm(c);
    if (k) throw k[0];
    // (after the connection is complete: a callback that throws cannot undo it)
    if (V5) while ((e = err.shift())) fail(c, e.cb, wrenError(PACKET_TOO_LARGE, (e.p as PublishPacket).topic));
  } else if (t == PacketType.PUBLISH) {
    // 5.0 Topic Alias [MQTT-3.3.2.3.4]: with a topic it maps the alias to it, with an empty
    // topic it stands for the topic mapped. 0, over the maximum of our CONNECT (none
    // without one) [MQTT-3.3.2-8, 3.3.2-10, 3.1.2-27] or unmapped: DISCONNECT 0x94
    // (Topic Alias invalid), then the PROTOCOL error below (an empty topic fails it)
    if (V5 && (k = ((p as PublishPacket).properties || (0 as Properties)).topicAlias!) >= 0)
      (k && k <= (c._o.properties || {})[TAM]! && ((p as PublishPacket).topic = c._ia![k] = (p as PublishPacket).topic || c._ia![k])) ||
        (write(c, encodeDisconnect(5, 0x94)), ((p as PublishPacket).topic = ""));
    // the codec checks UTF-8; wildcards are ours
    // a QoS > 0 PUBLISH needs a non-zero packet id [MQTT-2.3.1-1]
    if (!validTopic((p as PublishPacket).topic) || ((p as PublishPacket).qos && !id)) drop(c, PROTOCOL, "3");
    else if ((p as PublishPacket).qos == 2) {
      // exactly once: deliver on the first PUBLISH only, until PUBREL frees the id
      // (acked first: a listener that throws cannot hold the ack back)
      ack(c, PacketType.PUBREC, id);
      if (c._in2.indexOf(id) < 0) c._in2.push(id), msg(c, p as PublishPacket);
    } else {
      if ((p as PublishPacket).qos) ack(c, PacketType.PUBACK, id);
      msg(c, p as PublishPacket);
    }
  } else if (t == PacketType.PUBREL) {
    i = c._in2.indexOf(id);
    if (i >= 0) c._in2.splice(i, 1);
    // PUBCOMP even for an unknown id, so the server can free it
    ack(c, PacketType.PUBCOMP, id);
  } else if ((0xab0 >> t) & 1) {
    // PUBACK, PUBREC, PUBCOMP, SUBACK, UNSUBACK: bits 4, 5, 7, 9, 11
    for (; (e = o[i]) && !(e.p.messageId == id && e.w == t); i++);
    rc = (V5 && (p as { reasonCode?: number }).reasonCode) || 0;
    if (!(V5 && rc >= 0x80) && t == PacketType.PUBREC) {
      // (3.1.1 has no reason codes: the core build folds the test away)
      // PUBREL even for an unknown id, so the server can free it
      ack(c, PacketType.PUBREL, id);
      // PUBRELs go (and after a reconnect go again) in PUBREC order [MQTT-4.6.0-4]
      if (e) (e.w = PacketType.PUBCOMP), (e.t = now(c)), o.push(o.splice(i, 1)[0]);
    } else if (e) {
      // one code per filter [MQTT-3.9.3-1] (5.0 UNSUBACK too [MQTT-3.11.3-1]): fewer would read as granted
      if (g && g.length != ((e.p as SubscribePacket).subscriptions || (e.p as UnsubscribePacket).unsubscriptions).length) return drop(c, PROTOCOL, "" + t);
      // (no entry: a late or duplicate ack, nothing waits for it; acks come
      // mostly in order, and shift() neither copies nor allocates like splice)
      i ? o.splice(i, 1) : o.shift();
      // SUBACK: keep the granted filters; UNSUBACK: forget the filters again, which
      // a SUBACK for a SUBSCRIBE sent before the UNSUBSCRIBE brought back;
      // a reason code >= 0x80 fails the callback (5.0: UNSUBACK too)
      if (t > PacketType.SUBSCRIBE)
        for (a = (e.p as SubscribePacket).subscriptions || (e.p as UnsubscribePacket).unsubscriptions, i = 0; i < a.length; i++)
          // (a 3.1.1 UNSUBACK has no reason codes)
          if (g && g[i] >= 0x80) rc = g[i];
          else if (t > PacketType.SUBACK) delete c._subs[a[i] as any];
          else c._subs[a[i].topic] = a[i];
      if (rc >= 0x80) err = wrenError(t == PacketType.SUBACK ? "SUBACK_FAILED" : "ACK_FAILED", "" + rc);
      k = 0;
      try {
        if (e.cb) e.cb(err, g);
        else if (err) c.emit(ERROR, err);
      } catch (y) {
        k = [y];
      }
      // a callback that throws must not stall the queue: the window has room
      k = flush(c) || k;
      if (k) throw k[0];
    }
  } else if (V5 && t == PacketType.DISCONNECT) drop(c, "DISCONNECTED", "" + (p as { reasonCode?: number }).reasonCode);
  else if (t != PacketType.PINGRESP) drop(c, PROTOCOL, "" + t);
};

/** Decoder handler: malformed or oversized input. */
P.onError = function (err: WrenError) {
  drop(this, err);
};

P.route = function (filter: string, handler: MessageHandler) {
  this._r.push(filter, handler);
  return this;
};

if (PERSIST) {
  P.sleep = function (ms: number, cb?: (err?: Error) => void, o?: SleepOptions) {
    sleep(this as any, ms, cb, o);
    return this;
  };
  P.restore = function () {
    return restore(this as any);
  };
}

/**
 * The client's time: the HAL clock's (read through `_h` each time, like everywhere
 * else), plus what it was set back by while a timer ran (`_k`): every time the client
 * and its keepalive policy keep stays in this one frame, so none is late by the jump.
 */
function now(c: Client): number {
  return c._h.clock.now() + c._k;
}

/** Write encoded bytes (nothing when not connected or encoding failed). */
function write(c: Client, b: Encoded): void {
  if (c._c && !isStr(b)) {
    c._c.write(b);
    // the policy learns whether an answer is owed: PUBREL, SUBSCRIBE, UNSUBSCRIBE (flags 0010)
    // and PUBLISH QoS > 0 (flag 2 or 4), the only packets we send with either flag
    // and PUBREC (0x50: the broker owes a PUBREL)
    c._kp.sent(now(c), !!(b[0] & 6 || b[0] == 0x50));
  }
}

/** PUBACK/PUBREC/PUBREL/PUBCOMP. */
function ack(c: Client, t: number, id: number): void {
  write(c, encodeAck(t, id, c._v));
}

/**
 * A packet that waits for an ack `w` (PUBLISH QoS > 0, SUBSCRIBE,
 * UNSUBSCRIBE): gets an id, tracked until acked; sent now if connected, else
 * on connect.
 */
function track(c: Client, p: Pending["p"], cb: Callback | undefined, w: number, x?: Encoded): boolean | void {
  // (`t` is set when sent; x: a scratch local, see nid)
  var e = { p: p, cb: cb, w: w } as Pending;
  // a packet the codec refuses (too large, too long, bad property): now, else
  // written as nothing, it would wait forever (a publish: publish() checked it,
  // but a 5.0 server's Maximum Packet Size may have come since)
  if ((V5 || w > 5) && isStr((x = enc(c, p)))) return fail(c, cb, wrenError(x));
  p.messageId = nid(c);
  c._out.push(e);
  if (c._s == State.CONNECTED) send(c, e), arm(c);
  return true;
}

/**
 * Encode a tracked packet or a publish; `f`: for the wire now. 5.0: a publish on the
 * wire gets a Topic Alias while the server's maximum allows [MQTT-3.2.2-17]
 * [MQTT-3.3.2-9], first come first served, never replaced: the topic and a new
 * alias (1, 2..., never 0 [MQTT-3.3.2-8]) the first time, then the alias and an
 * empty topic. A resend (DUP) goes with its topic only: it is the first on a new
 * connection. Nothing is mapped unless encoded (an alias takes 3 bytes more: a
 * publish too large with it goes without).
 */
function enc(c: Client, p: Pending["p"], f?: 1, a?: string[] | 0 | false, i?: number, n?: any, x?: Encoded): Encoded {
  // (a SUBSCRIBE or UNSUBSCRIBE has no topic)
  if (V5 && f && (a = c._oa) && (p as PublishPacket).topic) {
    // (i: the topic's alias; n: a new one, or false/0: none; at most TOPIC_ALIASES, see
    // board.ts: a[31] is a topic, never "", once 32 are taken)
    n = !(p as PublishPacket).dup && !(i = a.indexOf((p as PublishPacket).topic) + 1) && a.length < c._cp![TAM]! && !a[TOPIC_ALIASES - 1] && a.push((p as PublishPacket).topic);
    return isStr((x = encodePublish(p as PublishPacket, 5, c._wr, i || n, i))) && n ? (a.pop(), encodePublish(p as PublishPacket, 5, c._wr, 0)) : x;
  }
  return (p.type == PacketType.PUBLISH ? encodePublish : p.type == PacketType.SUBSCRIBE ? encodeSubscribe : encodeUnsubscribe)(p as any, c._v, c._wr);
}

/**
 * (Re)send an unacknowledged entry: PUBREL once PUBREC came, else the
 * packet; any later send of it is a resend, so it gets DUP [MQTT-3.3.1-1].
 */
function send(c: Client, e: Pending): void {
  var p = e.p;
  e.t = now(c);
  if (e.w == PacketType.PUBCOMP) ack(c, PacketType.PUBREL, p.messageId!);
  else write(c, enc(c, p, 1)), ((p as PublishPacket).dup = true);
}

/** Next free packet id: 1..65535, never 0 [MQTT-2.3.1-1], skipping ids in use [MQTT-2.3.1-2]. */
function nid(c: Client, i?: number, h?: number, m?: any): number {
  // (i, h, m: scratch locals as parameters: no `var` statement for them)
  var id = (c._id % 65535) + 1;
  // ids in flight are all <= _id unless the counter wrapped (or a restored
  // session may hold any): only then scan, taking the next id on a clash,
  // and stop scanning once no id in flight is above the one taken.
  if (id == 1) c._idScan = 1;
  if (c._idScan) {
    for (i = h = 0; (m = c._out[i]); i++)
      if ((m = m.p.messageId) == id) (id = (id % 65535) + 1), (i = -1), (h = 0);
      else if (m > id) h = 1;
    c._idScan = h;
  }
  return (c._id = id);
}

/**
 * Send a publish now if connected and (QoS > 0) the window has room, or
 * fail it if this connection cannot take it: the codec refuses it (5.0: over
 * the server's Maximum Packet Size, which may have come after publish() checked),
 * 5.0: QoS above the server's Maximum QoS [MQTT-3.2.2-11], retained when
 * Retain Available is 0 [MQTT-3.2.2-14].
 */
function go(c: Client, e: Queued, f?: 1, x?: Encoded | 0): boolean {
  var p = e.p;
  if (c._s != State.CONNECTED) return false;
  // (the CONNACK set `_cp` before any publish goes)
  if (V5) x = p.qos > c._cp!.maximumQoS! ? "QOS_NOT_SUPPORTED" : p.retain && c._cp!.retainAvailable == false ? "RETAIN_NOT_SUPPORTED" : 0;
  // the window counts everything awaiting an ack (a pending SUBSCRIBE takes a slot too): no scan per publish
  if (!x && p.qos && c._out.length >= c._win) return false;
  // f: e is the queue's first: out of it before any callback runs (one that throws cannot get it sent again)
  if (f) c._q.shift();
  if (x) fail(c, e.cb, wrenError(x as string, p.topic));
  // PUBACK (QoS 1) or PUBREC (QoS 2)
  else if (p.qos) track(c, p, e.cb, 3 + p.qos);
  // QoS 0: 5.0 encodes once and writes only what the codec took; 3.1.1 has no
  // limit that changes after publish() checked it, so the core build just sends
  // (send() marks the packet DUP: harmless, a QoS 0 publish is never sent again)
  else if (V5 && isStr((x = enc(c, p, 1)))) fail(c, e.cb, wrenError(x, p.topic));
  else V5 ? write(c, x as Encoded) : send(c, e as unknown as Pending), e.cb && e.cb();
  return true;
}

/**
 * Send queued publishes while they can go, in order. A callback that throws stops
 * neither the rest nor the caller: returns [the first error], for the caller to rethrow last.
 */
function flush(c: Client, e?: Queued, x?: any): any {
  for (;;)
    try {
      while ((e = c._q._a[0]) && go(c, e, 1));
      return x;
    } catch (y) {
      x = x || [y];
    }
}

/** Dial, unless the link is down: then wait for it to come up. */
function dial(c: Client): void {
  var h = c._h,
    r = c._s == State.IDLE,
    k: Connection,
    x: Link;
  // link down: wait in IDLE with no deadline
  if (h.link && !h.link.isUp()) (c._s = State.IDLE), (c._dl = -1);
  else {
    c._s = State.OPENING;
    c._dl = now(c) + (c._o.connectTimeout || 30000);
    c._d.reset();
    // no callback runs inside connect() (HAL contract), so `_k` is set before any
    // (a board build: closures, the fewest bytes; elsewhere a Link, no closures per
    // connection, for hosts that hold many clients)
    if (ON_BOARD)
      c._c = k = h.transport.connect(c._o as Target, {
        onOpen: function () {
          if (k == c._c) open(c);
        },
        onData: function (b: Uint8Array) {
          if (k == c._c) c._d.push(b);
        },
        onClose: function (err?: Error) {
          if (k == c._c) drop(c, err);
        },
      });
    else {
      x = { onOpen: onOpen, onData: onData, onClose: onClose, _l: c, _k: 0 };
      c._c = x._k = h.transport.connect(c._o as Target, x);
    }
  }
  arm(c);
  // (after the dial and its timer: a listener that throws cannot stop the retries, and
  // one that calls end() ends this attempt)
  if (r) c.emit("reconnect");
}

/**
 * A connection's handler: its client `_l` and the connection `_k` (callbacks of any
 * other, older one are ignored), with functions shared by all: an idle connection
 * holds no closures.
 */
interface Link {
  onOpen(): void;
  onData(b: Uint8Array): void;
  onClose(err?: Error): void;
  _l: Client;
  _k: Connection | 0;
}

function onOpen(this: Link) {
  var c = this._l;
  if (this._k == c._c) open(c);
}

/** Transport open: send CONNECT. */
function open(c: Client) {
  var o = c._o,
    // (no type: the encoder does not read it)
    // 3.1.1: a zero-byte client id needs CleanSession 1 [MQTT-3.1.3-7]
    p = { clientId: o.clientId, clean: o.clean !== false || ((!V5 || c._v == 4) && !o.clientId), keepalive: c._ka / 1000 } as ConnectPacket;
  c._s = State.CONNECTING;
  p.username = o.username;
  // 3.1.1: no password without a username [MQTT-3.1.2-22]. The encoder
  // writes a string as UTF-8 and sets the flag for a truthy password: ""
  // becomes zero bytes, which it sends (with the flag) like any other.
  if (o.password != null && (o.username != null || (V5 && c._v == 5))) p.password = (o.password || new Uint8Array(0)) as Uint8Array;
  // the will as given: the encoder reads a missing qos / retain as 0 / false
  // and writes a string payload as UTF-8 (the constructor checked topic and qos)
  p.will = o.will as ConnectPacket["will"];
  if (V5) (p.protocolVersion = c._v), (p.properties = o.properties);
  // a CONNECT the codec refuses (larger than maxPacketSize): its code now, not a CONNECT_TIMEOUT
  c._ct = now(c);
  isStr((o = encodeConnect(p, c._wr) as any)) ? drop(c, o as any) : write(c, o as any);
}

function onData(this: Link, b: Uint8Array) {
  var c = this._l;
  if (this._k == c._c) c._d.push(b);
}

function onClose(this: Link, err?: Error) {
  var c = this._l;
  if (this._k == c._c) drop(c, err);
}

/** Deliver a message: `message` event, then matching routes. */
function msg(c: Client, p: PublishPacket): void {
  var r = c._r,
    i = -2,
    x: any;
  // the `message` event (i = -2), then each matching route; one that throws stops none
  // of the others: the first error is rethrown after
  for (; i < r.length; i += 2)
    try {
      i < 0 ? c.emit("message", p.topic, p.payload, p) : matches(r[i] as string, p.topic) && (r[i + 1] as MessageHandler)(p.topic, p.payload, p);
    } catch (y) {
      x = x || [y];
    }
  if (x) throw x[0];
}

/**
 * The connection failed or closed: report `err` (an error code makes one),
 * destroy the connection and take the reconnect path.
 */
function drop(c: Client, err?: Error | string, detail?: string): void {
  var k = c._c,
    s = c._s,
    r = c._o.reconnect,
    h = c._h;
  c._c = null;
  c._s = State.IDLE;
  c._dl = -1;
  // stops a decoder push in progress: no packet after the bad one is handled
  c._d.reset();
  if (k) k.destroy();
  c.connected = false;
  if (r === false) c._s = State.ENDED;
  // (the board entry gives the HAL no `random`: Math.random it is)
  else if (!h.link || h.link.isUp()) c._dl = now(c) + backoff(c._n++, r || {}, !ON_BOARD && h.random ? h.random() : Math.random());
  // the next attempt is armed before any event: a listener that throws cannot stop
  // the retries; one that calls end() clears it, connect() (reconnect: false) dials
  arm(c);
  if (err) c.emit(ERROR, isStr(err) ? wrenError(err, detail) : err);
  c.emit("close");
  if (s == State.CONNECTED) c.emit("offline");
}

/** Put the one timer on the earliest deadline. A timer armed earlier stays: it fires early and re-arms. */
function arm(c: Client): void {
  var s = c._s,
    m = c._h.clock,
    d = s < State.CONNECTED ? c._dl : -1,
    x: number;
  if (s == State.CONNECTED) d = ackDue(c, c._kp.next());
  if (d < 0 || c._ta < 0 || c._ta > d) {
    // (a no-op for a fired timer)
    m.clearTimer(c._tm);
    c._ta = d;
    x = d - now(c);
    if (d >= 0) c._tm = m.setTimer(c._tf, x > 0 ? x : 0);
  }
}

/** The earlier of deadline `d` (-1 or Infinity: none) and the first ack timeout. */
function ackDue(c: Client, d: number): number {
  var o = c._out,
    at = c._o.ackTimeout,
    i = 0,
    x: number;
  if (at)
    for (; i < o.length; i++) {
      x = o[i].t + at;
      if (d < 0 || x < d) d = x;
    }
  return d;
}

