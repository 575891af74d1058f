/**
 * The MQTT client session: a state machine driven only by the HAL. It owns no
 * socket, timer or global: bytes come in through the transport handler, time
 * through the clock, and everything it must do later hangs off ONE timer set
 * to the earliest deadline (connect timeout, keepalive, ack timeout,
 * reconnect). So it runs the same on Espruino, Node and a virtual clock.
 *
 * Profiles: tiny = QoS 0 publish/subscribe, keepalive, reconnect with backoff;
 * everything else sits behind `if (CORE)` / `if (V5)` and leaves no code in
 * the tiny bundle.
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
import { CORE, V5 } from "../features";
import { wrenError } from "../errors";
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
import { utf8Length, utf8Write } from "../codec/utf8";
import type { WrenError } from "../errors";
import { backoff, type BackoffOptions } from "./backoff";
import { KeepaliveAction, SpecKeepalive, type KeepalivePolicy } from "./keepalive";
import { POLICIES, Queue, type Callback, type Queued } from "./queue";
import { matches, validFilter, validTopic } from "./topic";

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
  /** Offline queue bounds: `limit` entries (default 16), `bytes` of topic+payload (default 4096). */
  queue?: { limit?: number; bytes?: number; policy?: "drop-oldest" | "drop-new" | "latest" };
  /** QoS 1/2 publishes in flight at once (default 8; 5.0: also <= server receiveMaximum). */
  inflightWindow?: number;
  /** Ms to wait for an ack (PUBACK/PUBREC/PUBCOMP/SUBACK/UNSUBACK) before declaring the link dead; 0 = off (default). */
  ackTimeout?: number;
  /** 4 = MQTT 3.1.1 (default), 5 = MQTT 5.0 (V5 builds). */
  protocolVersion?: 4 | 5;
  /** 5.0 CONNECT properties. */
  properties?: Properties;
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

/** 3.1.1 CONNACK return codes 1..5 [MQTT-3.2.2.3]. */
var REFUSED = [
  "unacceptable protocol version",
  "identifier rejected",
  "server unavailable",
  "bad username or password",
  "not authorized",
];

function fn(x: unknown): x is Function {
  return typeof x == "function";
}

/** UTF-8 bytes of a string (password, will payload); bytes stay as they are. */
function bytes(s: string | Uint8Array): Uint8Array {
  var b: Uint8Array;
  if (typeof s != "string") return s;
  utf8Write(s, (b = new Uint8Array(utf8Length(s))), 0);
  return b;
}

export interface Client {
  /**
   * Core: call `handler(topic, payload, packet)` for every received message
   * whose topic matches `filter` (+ and # wildcards), after the `message`
   * event. Local only: it does not subscribe; unsubscribe(filter) removes it.
   */
  route(filter: string, handler: MessageHandler): this;
  on(event: "connect", fn: (connack: ConnackPacket) => void): this;
  on(event: "message", fn: MessageHandler): this;
  on(event: "error", fn: (err: WrenError) => void): this;
  on(event: "drop", fn: (packet: PublishPacket, err: WrenError) => void): this;
  on(event: "close" | "offline" | "reconnect" | "end", fn: () => void): this;
  on(event: string, fn: (...args: any[]) => void): this;
  removeListener(event: string, fn: (...args: any[]) => void): this;
  emit(event: string, ...args: any[]): boolean;
}

/*
 * Internals are module functions taking the client, not methods: the tiny
 * bundle drops those only the core calls, and `c._x` is shorter than
 * `this._x` once minified.
 */
export class Client {
  _o!: ClientOptions;
  _h!: Hal;
  _s!: State;
  /** true between CONNACK and the connection's end (as in MQTT.js); core only */
  connected!: boolean;
  _c!: Connection | null | undefined;
  /** connection generation: callbacks of an older connection are ignored */
  _g!: number;
  /** protocol version */
  _v!: 4 | 5;
  /** keepalive ms */
  _ka!: number;
  /** reconnect attempt (backoff exponent) */
  _n!: number;
  /** deadline of the current state: reconnect (IDLE; -1 = wait for the link) or CONNACK (OPENING/CONNECTING) */
  _dl!: number;
  /** armed timer: deadline (-1 = none) and handle */
  _ta!: number;
  _tm!: unknown;
  /** the timer callback, made once */
  _tf!: () => void;
  /** tiny keepalive: last sent, PINGREQ pending since (-1 none) */
  _ls!: number;
  _pp!: number;
  /** core keepalive policy */
  _kp!: KeepalivePolicy;
  /** the stream decoder, reset per connection; this client is its handler */
  _d!: Decoder;
  /** last packet id */
  _id!: number;
  /** core: unacknowledged PUBLISH/PUBREL/SUBSCRIBE/UNSUBSCRIBE in send order */
  _out!: Pending[];
  /** subscriptions by filter, resubscribed on a new session (core: once acknowledged) */
  _subs!: { [filter: string]: Subscription };
  /** core: incoming QoS 2 packet ids between PUBLISH and PUBREL [MQTT-4.3.3] */
  _in2!: number[];
  /** core: routes: filter, handler, filter, handler... */
  _r!: (string | MessageHandler)[];
  _q!: Queue;
  /** core: in-flight window */
  _win!: number;
  /** core: own writer when maxPacketSize is set (its `max`), else the codec's shared one */
  _wr!: Writer | undefined;

  constructor(options: ClientOptions, hal: Hal) {
    var c = this,
      q: ClientOptions["queue"],
      k = options.keepalive;
    c._o = options;
    c._h = hal;
    c._s = State.ENDED;
    c._g = c._n = c._id = 0;
    c._ta = -1;
    c._subs = {};
    c._v = V5 && options.protocolVersion == 5 ? 5 : 4;
    c._ka = (k == null ? 60 : k) * 1000;
    c._tf = function () {
      tick(c);
    };
    c._d = new Decoder(c._v, (CORE && options.maxPacketSize) || 1 / 0, c);
    if (CORE) {
      c.connected = false;
      c._out = [];
      c._in2 = [];
      c._r = [];
      c._kp = options.keepalivePolicy || new SpecKeepalive(options.pingTimeout);
      c._win = options.inflightWindow || 8;
      q = options.queue || {};
      c._q = new Queue(
        q.limit == null ? 16 : q.limit,
        q.bytes == null ? 4096 : q.bytes,
        POLICIES.indexOf(q.policy || "") & 3,
        function (e) {
          var err = wrenError("QUEUE_DROPPED", e.p.topic);
          fail(c, e.cb, err);
          c.emit("drop", e.p, err);
        },
      );
      if (options.maxPacketSize) (c._wr = new Writer()).max = options.maxPacketSize;
    }
  }

  /** Start (or start again after end()): dial now, then keep the connection up. */
  connect(): Client {
    var c = this,
      l = c._h.link;
    if (c._s == State.ENDED) {
      c._n = 0;
      if (CORE && l)
        l.onChange(function (up) {
          // down: stop dialing (an open connection fails by itself); up: dial now
          if (c._s == State.IDLE) up ? dial(c) : (c._dl = -1);
        });
      dial(c);
    }
    return c;
  }

  /**
   * Publish `payload` (a string is sent as UTF-8) to `topic`. `cb(err)` runs
   * when the publish is complete: written (QoS 0), PUBACK (1), PUBCOMP (2); or
   * with an error: bad input (synchronously, nothing sent or queued), dropped
   * by the offline queue (QUEUE_DROPPED), end() (ENDED); tiny: OFFLINE when
   * not connected. Without `cb` errors go to the `error` event.
   */
  publish(topic: string, payload: string | Uint8Array, options?: PublishOptions | Callback, cb?: Callback): Client {
    var c = this,
      p: PublishPacket,
      e: Queued,
      q: number,
      x: Encoded | 0,
      opts: PublishOptions;
    if (fn(options)) (cb = options), (options = void 0);
    opts = options || {};
    q = CORE ? opts.qos || 0 : 0;
    // the codec writes a string payload as UTF-8 itself: no copy here
    p = { type: PacketType.PUBLISH, topic: topic, payload: payload as Uint8Array, qos: q as QoS, retain: !!opts.retain, dup: false };
    if (V5) p.properties = opts.properties;
    // (if/else rather than an early return: the bundler drops a dead branch, not dead code after a return)
    if (CORE) {
      // caller errors: reported now, nothing sent or queued
      x = !validTopic(topic)
        ? "BAD_TOPIC"
        : !(q == 0 || q == 1 || q == 2)
          ? "BAD_QOS"
          : typeof payload != "string" && !(payload instanceof Uint8Array)
            ? "BAD_PAYLOAD"
            : 0;
      // encode once to catch what only the codec sees: too large, too long, bad property
      if (!x && typeof (x = encodePublish(p, c._v, c._wr)) != "string") x = 0;
      if (x) return fail(c, cb, wrenError(x, topic));
      e = { p: p, cb: cb, n: topic.length + payload.length };
      // behind others in the queue, or no room in the window: wait in order
      if (c._q._a.length || !go(c, e)) c._q.add(e);
    } else if (c._s == State.CONNECTED) write(c, encodePublish(p, 4)), cb && cb();
    else fail(c, cb, wrenError("OFFLINE"));
    return c;
  }

  /**
   * Subscribe to a filter, an array of filters (all at `opts.qos`) or an
   * object {filter: qos}. `cb(err, granted)` after SUBACK with the granted
   * QoS / reason codes in order; err (SUBACK_FAILED) if any is >= 0x80.
   * `opts.handler` routes matching messages to it (see `route`).
   * While offline the SUBSCRIBE is sent on connect.
   * Tiny: QoS 0 only, no callback, no handler.
   */
  subscribe(filter: string | string[] | { [filter: string]: QoS }, options?: SubscribeOptions | Callback, cb?: Callback): Client {
    var c = this,
      subs: Subscription[] = [],
      f: any = typeof filter == "string" ? [filter] : filter,
      k: any,
      s: Subscription,
      i: number,
      opts: SubscribeOptions = {};
    if (CORE) {
      if (fn(options)) (cb = options), (options = void 0);
      opts = options || opts;
    }
    for (k in f) {
      s = { topic: f.push ? f[k] : k, qos: CORE ? (f.push ? opts.qos || 0 : f[k]) : 0 };
      if (V5) {
        s.nl = opts.nl;
        s.rap = opts.rap;
        s.rh = opts.rh;
      }
      subs.push(s);
      if (!CORE) c._subs[s.topic] = s;
    }
    if (CORE) {
      for (i = 0; i < subs.length; i++)
        if (!validFilter(subs[i].topic) || !(subs[i].qos == 0 || subs[i].qos == 1 || subs[i].qos == 2))
          return fail(c, cb, wrenError("BAD_FILTER", subs[i].topic));
      if (!i) return fail(c, cb, wrenError("BAD_FILTER"));
      if (opts.handler) for (i = 0; i < subs.length; i++) c.route(subs[i].topic, opts.handler);
      req(c, { type: PacketType.SUBSCRIBE, messageId: 0, subscriptions: subs, properties: V5 ? opts.properties : void 0 }, cb);
    } else sub(c, subs);
    return c;
  }

  /** Unsubscribe; also removes the filters' routes. `cb(err)` after UNSUBACK (tiny: no callback). */
  unsubscribe(filter: string | string[], options?: { properties?: Properties } | Callback, cb?: Callback): Client {
    var c = this,
      f = typeof filter == "string" ? [filter] : filter,
      r = c._r,
      i: number,
      j: number,
      p: UnsubscribePacket;
    if (CORE) {
      if (fn(options)) (cb = options), (options = void 0);
      for (i = 0; i < f.length; i++) if (!validFilter(f[i])) return fail(c, cb, wrenError("BAD_FILTER", f[i]));
      if (!i) return fail(c, cb, wrenError("BAD_FILTER"));
    }
    for (i = 0; i < f.length; i++) {
      if (CORE) for (j = r.length - 2; j >= 0; j -= 2) if (r[j] == f[i]) r.splice(j, 2);
      delete c._subs[f[i]];
    }
    p = { type: PacketType.UNSUBSCRIBE, messageId: 0, unsubscriptions: f };
    if (V5 && options) p.properties = (options as { properties?: Properties }).properties;
    if (CORE) req(c, p, cb);
    else if (c._s == State.CONNECTED) (p.messageId = nid(c)), write(c, encodeUnsubscribe(p, 4));
    return c;
  }

  /**
   * Stop: send DISCONNECT (unless `force`) and close; no more reconnects.
   * Core: callbacks of queued and unacknowledged messages get an ENDED error.
   * The `close` (if a connection was open) and `end` events and `cb` follow
   * synchronously. connect() starts again.
   */
  end(force?: boolean | Callback, cb?: Callback): Client {
    var c = this,
      k = c._c,
      s = c._s,
      a: (Pending | Queued)[],
      e: Pending | Queued | undefined,
      err: Error;
    if (fn(force)) (cb = force), (force = false);
    c._s = State.ENDED;
    c._c = null;
    c._g++;
    arm(c);
    if (k) {
      if (s == State.CONNECTED && !force) k.write(encodeDisconnect(c._v) as Uint8Array), k.end();
      else k.destroy();
      c.emit("close");
    }
    if (CORE && s != State.ENDED) {
      c.connected = false;
      err = wrenError("ENDED");
      a = c._out;
      c._out = [];
      while ((e = a.shift() || c._q.shift())) if (e.cb) e.cb(err);
    }
    c.emit("end");
    if (cb) cb();
    return c;
  }

  /** Decoder handler: a packet arrived. */
  onPacket(p: Packet): void {
    var c = this,
      now = c._h.clock.now(),
      t = p.type,
      o = c._out,
      i: number,
      n: number,
      e: Pending | undefined,
      rc: number,
      err: Error | undefined,
      k: string,
      a: Subscription[] = [];
    if (CORE) c._kp.received(now, t);
    else c._pp = -1;
    if (c._s == State.CONNECTING) {
      if (p.type != PacketType.CONNACK) return drop(c, "PROTOCOL");
      rc = p.returnCode;
      // 3.1.1: 1..5 refused [MQTT-3.2.2.3]; 5.0: reason codes >= 0x80
      if (rc) return drop(c, "CONNACK_REFUSED", CORE && rc < 6 && c._v == 4 ? REFUSED[rc - 1] : "" + rc);
      c._s = State.CONNECTED;
      c._n = 0;
      if (CORE) {
        c.connected = true;
        c._kp.start(now, V5 && p.properties && p.properties.serverKeepAlive != null ? p.properties.serverKeepAlive * 1000 : c._ka);
        if (V5 && p.properties && p.properties.receiveMaximum) c._win = Math.min(c._o.inflightWindow || 8, p.properties.receiveMaximum);
      } else (c._ls = now), (c._pp = -1);
      n = CORE ? o.length : 0;
      if (!CORE || !p.sessionPresent) {
        // a new session: the server forgot our subscriptions and its QoS 2 ids
        if (CORE) c._in2 = [];
        for (k in c._subs) a.push(c._subs[k]);
        if (a.length) CORE ? req(c, { type: PacketType.SUBSCRIBE, messageId: 0, subscriptions: a }) : sub(c, a);
      }
      if (CORE) {
        // resend everything unacknowledged in the original order, PUBLISH with
        // DUP [MQTT-4.4.0-1] [MQTT-3.3.1-1], PUBREL once PUBREC came
        for (i = 0; i < n; i++) {
          e = o[i];
          e.t = now;
          if (e.w == PacketType.PUBCOMP) ack(c, PacketType.PUBREL, e.p.messageId!);
          else {
            if (e.p.type == PacketType.PUBLISH) e.p.dup = true;
            write(c, enc(c, e.p));
          }
        }
        flush(c);
      }
      arm(c);
      c.emit("connect", p);
      return;
    }
    switch (p.type) {
      case PacketType.PUBLISH:
        rc = p.messageId!;
        if (CORE) {
          // the codec checks UTF-8; wildcards (and 5.0 topic aliases, unsupported) are ours
          if (!validTopic(p.topic)) break;
          if (p.qos == 2) {
            // exactly once: deliver on the first PUBLISH only, until PUBREL frees the id
            if (c._in2.indexOf(rc) < 0) c._in2.push(rc), msg(c, p);
            return ack(c, PacketType.PUBREC, rc);
          }
        }
        msg(c, p);
        if (CORE && p.qos) ack(c, PacketType.PUBACK, rc);
        return;
      case PacketType.SUBACK:
      case PacketType.UNSUBACK:
      case PacketType.PINGRESP:
        if (!CORE) return;
    }
    if (CORE)
      switch (p.type) {
        case PacketType.PUBREL:
          i = c._in2.indexOf(p.messageId);
          if (i >= 0) c._in2.splice(i, 1);
          // PUBCOMP even for an unknown id, so the server can free it
          return ack(c, PacketType.PUBCOMP, p.messageId);
        case PacketType.PINGRESP:
          return;
        case PacketType.PUBACK:
        case PacketType.PUBREC:
        case PacketType.PUBCOMP:
        case PacketType.SUBACK:
        case PacketType.UNSUBACK:
          for (i = 0; i < o.length && !(o[i].p.messageId == p.messageId && o[i].w == t); i++);
          e = o[i];
          rc = (V5 && (p as { reasonCode?: number }).reasonCode) || 0;
          if (t == PacketType.PUBREC && rc < 0x80) {
            // PUBREL even for an unknown id, so the server can free it
            ack(c, PacketType.PUBREL, p.messageId);
            if (e) (e.w = PacketType.PUBCOMP), (e.t = now);
            return;
          }
          if (!e) return; // a late or duplicate ack: nothing waits for it
          o.splice(i, 1);
          if (t == PacketType.SUBACK) {
            a = (e.p as SubscribePacket).subscriptions;
            for (i = 0; i < a.length; i++)
              if ((p as SubackPacket).granted[i] < 0x80) c._subs[a[i].topic] = a[i];
              else rc = 0x80;
          }
          if (rc >= 0x80) err = wrenError(t == PacketType.SUBACK ? "SUBACK_FAILED" : "ACK_FAILED", "" + rc);
          if (e.cb) e.cb(err, (p as SubackPacket).granted);
          else if (err) c.emit("error", err);
          return flush(c);
        case PacketType.DISCONNECT:
          if (V5) return drop(c, "DISCONNECTED", "" + p.reasonCode);
      }
    drop(c, "PROTOCOL", "" + t);
  }

  /** Decoder handler: malformed or oversized input. */
  onError(err: WrenError): void {
    drop(this, err);
  }
}

if (CORE)
  Client.prototype.route = function (filter: string, handler: MessageHandler) {
    this._r.push(filter, handler);
    return this;
  };

/** Report an error to `cb`, or as an `error` event when there is none. */
function fail(c: Client, cb: Callback | undefined, err: Error): Client {
  cb ? cb(err) : c.emit("error", err);
  return c;
}

/** Write encoded bytes (nothing when not connected or encoding failed). */
function write(c: Client, b: Encoded): void {
  if (c._c && typeof b != "string") {
    c._c.write(b);
    // the policy learns whether an answer is owed: PUBREL, SUBSCRIBE, UNSUBSCRIBE, PUBLISH QoS > 0
    if (CORE) c._kp.sent(c._h.clock.now(), !!((0x540 >> (b[0] >> 4)) & 1 || (b[0] >> 4 == 3 && b[0] & 6)));
    else c._ls = c._h.clock.now();
  }
}

/** Tiny: SUBSCRIBE (QoS 0, no ack tracking) if connected; subscriptions go again on every connect. */
function sub(c: Client, a: Subscription[]): void {
  if (c._s == State.CONNECTED) write(c, encodeSubscribe({ type: PacketType.SUBSCRIBE, messageId: nid(c), subscriptions: a }, 4));
}

/** Core: encode a packet that waits for an ack. */
function enc(c: Client, p: Pending["p"]): Encoded {
  return p.type == PacketType.PUBLISH
    ? encodePublish(p, c._v, c._wr)
    : p.type == PacketType.SUBSCRIBE
      ? encodeSubscribe(p, c._v, c._wr)
      : encodeUnsubscribe(p, c._v, c._wr);
}

/** Core: PUBACK/PUBREC/PUBREL/PUBCOMP. */
function ack(c: Client, t: number, id: number): void {
  write(c, encodeAck(t, id, c._v));
}

/** Core: SUBSCRIBE/UNSUBSCRIBE tracked until acked; sent now if connected, else on connect. */
function req(c: Client, p: SubscribePacket | UnsubscribePacket, cb?: Callback): Client {
  p.messageId = nid(c);
  c._out.push({ p: p, cb: cb, w: p.type + 1, t: c._h.clock.now() });
  if (c.connected) write(c, enc(c, p)), arm(c);
  return c;
}

/** Next free packet id: 1..65535, never 0 [MQTT-2.3.1-1]; core: skipping ids in use [MQTT-2.3.1-2]. */
function nid(c: Client): number {
  var id = c._id,
    o = c._out,
    i = 0;
  do {
    id = (id % 65535) + 1;
    if (CORE) for (i = 0; i < o.length && o[i].p.messageId != id; i++);
  } while (CORE && i < o.length);
  return (c._id = id);
}

/** Core: send a publish now if connected and (QoS > 0) the window has room. */
function go(c: Client, e: Queued): boolean {
  var p = e.p,
    i: number,
    n = 0,
    o = c._out;
  if (!c.connected) return false;
  if (p.qos) {
    for (i = 0; i < o.length; i++) if (o[i].p.type == PacketType.PUBLISH) n++;
    if (n >= c._win) return false;
    p.messageId = nid(c);
    o.push({ p: p, cb: e.cb, w: p.qos == 1 ? PacketType.PUBACK : PacketType.PUBREC, t: c._h.clock.now() });
    arm(c);
  }
  write(c, encodePublish(p, c._v, c._wr));
  if (!p.qos && e.cb) e.cb();
  return true;
}

/** Core: send queued publishes while they can go, in order. */
function flush(c: Client): void {
  var q = c._q,
    e: Queued | undefined;
  while ((e = q._a[0]) && go(c, e)) q.shift();
}

/** Dial, unless (core) the link is down: then wait for it to come up. */
function dial(c: Client): void {
  var h = c._h,
    g = ++c._g,
    k: Connection;
  if (c._s == State.IDLE) c.emit("reconnect");
  c._s = State.IDLE;
  c._dl = -1;
  if (!CORE || !h.link || h.link.isUp()) {
    c._s = State.OPENING;
    c._dl = h.clock.now() + ((CORE && c._o.connectTimeout) || 30000);
    c._d.reset();
    k = h.transport.connect(c._o as Target, {
      onOpen: function () {
        if (g == c._g) open(c);
      },
      onData: function (b: Uint8Array) {
        if (g == c._g) c._d.push(b);
      },
      onClose: function (err?: Error) {
        if (g == c._g) drop(c, err);
      },
    });
    if (g == c._g) c._c = k;
  }
  arm(c);
}

/** Transport open: send CONNECT. */
function open(c: Client): void {
  var o = c._o,
    w = o.will,
    p: ConnectPacket = {
      type: PacketType.CONNECT,
      protocolVersion: c._v,
      clientId: o.clientId,
      clean: !CORE || o.clean !== false,
      keepalive: c._ka / 1000,
    };
  c._s = State.CONNECTING;
  if (CORE) {
    p.username = o.username;
    if (o.password != null) p.password = bytes(o.password);
    if (w) p.will = { topic: w.topic, payload: bytes(w.payload), qos: w.qos || 0, retain: !!w.retain, properties: w.properties };
  }
  if (V5) p.properties = o.properties;
  write(c, encodeConnect(p, c._wr));
}

/** Deliver a message: `message` event, then (core) matching routes. */
function msg(c: Client, p: PublishPacket): void {
  var r = c._r,
    i: number;
  c.emit("message", p.topic, p.payload, p);
  if (CORE) for (i = 0; i < r.length; i += 2) if (matches(r[i] as string, p.topic)) (r[i + 1] as MessageHandler)(p.topic, p.payload, p);
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
  c._g++;
  c._s = State.IDLE;
  c._dl = -1;
  // stops a decoder push in progress: no packet after the bad one is handled
  c._d.reset();
  if (k) k.destroy();
  if (CORE) c.connected = false;
  if (err) c.emit("error", typeof err == "string" ? wrenError(err, detail) : err);
  c.emit("close");
  if (s == State.CONNECTED) c.emit("offline");
  if (c._s) return; // end() or connect() in a listener
  if (CORE && r === false) c._s = State.ENDED;
  else if (!CORE || !h.link || h.link.isUp()) c._dl = h.clock.now() + backoff(c._n++, r || {}, (h.random || Math.random)());
  arm(c);
}

/** Put the one timer on the earliest deadline. A timer armed earlier stays: it fires early and re-arms. */
function arm(c: Client): void {
  var s = c._s,
    o = c._out,
    k = c._ka,
    m = c._h.clock,
    d = s < State.CONNECTED ? c._dl : -1,
    x: number,
    i: number,
    at = CORE && c._o.ackTimeout;
  if (s == State.CONNECTED) {
    if (CORE) {
      d = c._kp.next();
      if (at)
        for (i = 0; i < o.length; i++) {
          x = o[i].t + at;
          if (d < 0 || x < d) d = x;
        }
    } else if (k) d = (c._pp < 0 ? c._ls : c._pp) + k;
  }
  if (d < 0 || c._ta < 0 || c._ta > d) {
    if (c._ta >= 0) m.clearTimer(c._tm);
    c._ta = d;
    x = d - m.now();
    if (d >= 0) c._tm = m.setTimer(c._tf, x > 0 ? x : 0);
  }
}

/** The timer fired: handle the deadline that passed, then re-arm. */
function tick(c: Client): void {
  var now = c._h.clock.now(),
    s = c._s,
    o = c._out,
    i: number,
    k = c._ka,
    at = CORE && c._o.ackTimeout,
    a: KeepaliveAction;
  c._ta = -1;
  if (s < State.CONNECTED && c._dl >= 0 && now >= c._dl) return s ? drop(c, "CONNECT_TIMEOUT") : dial(c);
  if (s == State.CONNECTED) {
    if (CORE) {
      if (at) for (i = 0; i < o.length; i++) if (now >= o[i].t + at) return drop(c, "ACK_TIMEOUT");
      a = c._kp.timer(now);
    } else
      a = !k
        ? KeepaliveAction.NONE
        : c._pp >= 0
          ? now < c._pp + k
            ? KeepaliveAction.NONE
            : KeepaliveAction.DEAD
          : now < c._ls + k
            ? KeepaliveAction.NONE
            : ((c._pp = now), KeepaliveAction.PING);
    if (a == KeepaliveAction.DEAD) return drop(c, "PING_TIMEOUT");
    if (a == KeepaliveAction.PING) write(c, encodePingreq());
  }
  arm(c);
}
