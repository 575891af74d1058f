/**
 * The session as one compact binary record, for deep sleep: what a client must
 * remember to resume a persistent session [MQTT-4.1.0-1] (packet-id counter,
 * unacknowledged outgoing QoS 1/2, incoming QoS 2 ids awaiting PUBREL) plus its
 * subscriptions and offline queue.
 *
 * Layout (big-endian):
 *   u8 version (1) | u16 next packet id
 *   u16 n, n x u16            incoming QoS 2 ids awaiting PUBREL
 *   u16 n, n x out            unacknowledged outgoing, oldest first
 *     out   = u8 flags (qos | retain << 2 | state << 3) | u16 id | [topic | payload] unless state 2
 *   u16 n, n x (u8 opts | topic)   subscriptions (opts = qos | nl << 2 | rap << 3 | rh << 4 | unacked << 6)
 *   u16 n, n x (u8 flags | topic | payload)  queued publishes
 *   u16 CRC-16/CCITT-FALSE of everything before it
 * topic   = varint n, n x varint UTF-16 code unit (1 byte per ASCII char, no UTF-8 codec needed)
 * payload = varint n, n bytes        (varint = MQTT variable byte integer [MQTT-1.5.5])
 *
 * The checksum and an exact-length parse reject a torn or corrupt record.
 * The record is bounded (`max` bytes, from the board profile): sections are
 * filled in priority order (ids, in-flight, subscriptions, queue) and within a
 * section in order, so order is kept; the first item that does not fit and
 * all after it in its section are handed back in `rejected` for the caller to
 * report. Nothing is lost silently. 5.0 properties are not saved.
 */
import { wrenError, WrenError } from "../errors";
import type { PublishPacket, QoS, Subscription } from "../codec/packet";
import { utf8Length, utf8Write } from "../codec/utf8";

export var SESSION_RECORD = "wren.s";

/** Outgoing in-flight state. */
export const enum OutState {
  /** QoS 1 sent, awaiting PUBACK: resend PUBLISH with DUP */
  PUBACK = 0,
  /** QoS 2 sent, awaiting PUBREC: resend PUBLISH with DUP */
  PUBREC = 1,
  /** PUBREL sent, awaiting PUBCOMP: resend PUBREL (topic and payload not kept) */
  PUBCOMP = 2,
}

/** A message entry: `p` the packet; `s` the OutState for in-flight ones. Extra fields (callbacks) are ignored. */
export interface Entry {
  p: PublishPacket;
  s?: OutState;
}

/** A subscription; `u`: SUBSCRIBE sent but not acknowledged (sent again after restore). */
export interface Sub extends Subscription {
  u?: boolean;
}

export interface SessionRecord {
  /** next packet id to use */
  id: number;
  /** incoming QoS 2 packet ids awaiting PUBREL */
  inc: number[];
  out: Entry[];
  subs: Subscription[];
  queue: Entry[];
}

/** CRC-16/CCITT-FALSE (poly 0x1021, init 0xffff) of b[0..n). */
export function crc16(b: Uint8Array, n: number): number {
  var c = 0xffff,
    i: number,
    k: number;
  for (i = 0; i < n; i++) {
    c ^= b[i] << 8;
    for (k = 0; k < 8; k++) c = (c & 0x8000 ? (c << 1) ^ 0x1021 : c << 1) & 0xffff;
  }
  return c;
}

/**
 * Encode `r` into at most `max` bytes. Items that do not fit are pushed to
 * `rejected` (in-flight and queued entries, subscriptions, incoming ids).
 */
export function encodeSession(r: SessionRecord, max: number, rejected: unknown[]): Uint8Array {
  var b = new Uint8Array(max),
    lim = max - 2,
    p = 0,
    over = false,
    sec = 0,
    cnt = 0,
    at = 0,
    full = false,
    i: number,
    e: Entry,
    s: Subscription,
    l: any[];
  function u8(v: number) {
    if (p < lim) b[p++] = v;
    else over = true;
  }
  function u16(v: number) {
    u8(v >> 8);
    u8(v & 255);
  }
  function vi(v: number) {
    do {
      u8((v & 127) | (v > 127 ? 128 : 0));
      v = Math.floor(v / 128);
    } while (v);
  }
  function str(t: string) {
    vi(t.length);
    for (var j = 0; j < t.length; j++) vi(t.charCodeAt(j));
  }
  function bytes(d: Uint8Array | string) {
    // the client keeps a string payload as given (the codec writes it as UTF-8)
    if (typeof d == "string") utf8Write(d, (d = new Uint8Array(utf8Length(d))), 0);
    vi(d.length);
    if (p + d.length > lim) over = true;
    else {
      b.set(d, p);
      p += d.length;
    }
  }
  u8(1);
  u16(r.id);
  // sections in priority order; each starts with a u16 count patched at its end
  for (; sec < 4; sec++) {
    l = sec == 0 ? r.inc : sec == 1 ? r.out : sec == 2 ? r.subs : r.queue;
    at = p;
    cnt = 0;
    full = false;
    u16(0);
    // the count itself must fit, else nothing of this section does
    if (over) {
      p = at;
      full = true;
    }
    for (i = 0; i < l.length; i++) {
      var start = p;
      if (!full) {
        if (sec == 0) u16(l[i]);
        else if (sec == 2) {
          s = l[i];
          u8(s.qos | (s.nl ? 4 : 0) | (s.rap ? 8 : 0) | ((s.rh || 0) << 4) | ((s as Sub).u ? 64 : 0));
          str(s.topic);
        } else {
          e = l[i];
          var st = sec == 1 ? e.s || 0 : 0;
          u8(e.p.qos | (e.p.retain ? 4 : 0) | (st << 3));
          if (sec == 1) u16(e.p.messageId || 0);
          if (st < 2) {
            str(e.p.topic);
            bytes(e.p.payload);
          }
        }
        if (over) {
          p = start;
          over = false;
          full = true;
        } else cnt++;
      }
      if (full) rejected.push(l[i]);
    }
    if (p > at) {
      b[at] = cnt >> 8;
      b[at + 1] = cnt & 255;
    }
  }
  // a count that did not fit: the decoder reads a missing section as empty
  i = crc16(b, p);
  b[p++] = i >> 8;
  b[p++] = i & 255;
  return b.subarray(0, p);
}

/** Decode a record; a WrenError `SESSION_CORRUPT` if it is torn, corrupt or of another version. */
export function decodeSession(b: Uint8Array): SessionRecord | WrenError {
  var n = b.length - 2,
    p = 3,
    bad = n < 3 || b[0] != 1 || crc16(b, n) != ((b[n] << 8) | b[n + 1]),
    r: SessionRecord = { id: (b[1] << 8) | b[2], inc: [], out: [], subs: [], queue: [] },
    sec: number,
    c: number,
    f: number,
    st: number,
    sb: Sub,
    pk: PublishPacket;
  function u8() {
    if (p >= n) bad = true;
    return b[p++];
  }
  function u16() {
    return (u8() << 8) | u8();
  }
  function vi() {
    var v = 0,
      m = 1,
      x: number;
    do {
      x = u8();
      v += (x & 127) * m;
      m *= 128;
    } while (x & 128 && !bad);
    return v;
  }
  function str() {
    var t = "",
      k = vi();
    while (k-- > 0 && !bad) t += String.fromCharCode(vi());
    return t;
  }
  function bytes() {
    var k = vi(),
      d = new Uint8Array(k > n - p || bad ? 0 : k);
    if (d.length != k) bad = true;
    d.set(b.subarray(p, p + d.length));
    p += k;
    return d;
  }
  for (sec = 0; sec < 4 && !bad && p < n; sec++)
    for (c = u16(); c-- > 0 && !bad; ) {
      if (sec == 0) r.inc.push(u16());
      else {
        f = u8();
        if (sec == 2) {
          r.subs.push((sb = { topic: str(), qos: (f & 3) as QoS, nl: !!(f & 4), rap: !!(f & 8), rh: ((f >> 4) & 3) as 0 | 1 | 2 }));
          if (f & 64) sb.u = true;
        }
        else {
          st = sec == 1 ? f >> 3 : 0;
          pk = { type: 3, qos: (f & 3) as QoS, retain: !!(f & 4), dup: false, topic: "", payload: new Uint8Array(0) };
          if (sec == 1) pk.messageId = u16();
          if (st < 2) {
            pk.topic = str();
            pk.payload = bytes();
          }
          if (sec == 1) r.out.push({ p: pk, s: st });
          else r.queue.push({ p: pk });
        }
      }
    }
  return bad || p != n ? wrenError("SESSION_CORRUPT") : r;
}

/* ---- deep sleep: the client's session to and from the record ---- */

/** The client fields persistence reads and writes (see client.ts). */
interface SleepClient {
  _id: number;
  _out: { p: { type: number; messageId?: number; topic?: string; subscriptions?: Subscription[] }; cb?: (e?: Error | null) => void; w: number; t: number }[];
  _in2: number[];
  _subs: { [filter: string]: Subscription };
  _q: { _a: { p: PublishPacket; cb?: (e?: Error | null) => void; n: number }[]; _b: number };
  _h: { clock: { now(): number; setTimer(fn: () => void, ms: number): unknown }; storage?: { read(n: string): Uint8Array | undefined; write(n: string, d: Uint8Array): void }; power?: { deepSleep(ms: number): void } };
  end(force?: boolean): unknown;
  emit(ev: string, ...a: any[]): boolean;
  subscribe(f: string, o: object): unknown;
}

export interface SleepOptions {
  /** Longest wait for in-flight messages to complete before saving, ms (default 5000). */
  wait?: number;
  /** Record bound, bytes (board profile; default 2048). */
  max?: number;
}

/**
 * The session of `c` as a record: in-flight PUBLISH/PUBREL, subscriptions
 * (those still awaiting SUBACK marked to be sent again), incoming QoS 2 ids,
 * the queue. A pending UNSUBSCRIBE is not kept.
 */
export function snapshot(c: SleepClient): SessionRecord {
  var o = c._out,
    out: Entry[] = [],
    subs: Sub[] = [],
    k: string,
    a: Subscription[] | undefined,
    i: number,
    j: number;
  for (i = 0; i < o.length; i++)
    if (o[i].p.type == 3) out.push({ p: o[i].p as PublishPacket, s: o[i].w == 4 ? 0 : o[i].w == 5 ? 1 : 2, cb: o[i].cb } as Entry);
    else if ((a = o[i].p.subscriptions))
      for (j = 0; j < a.length; j++) subs.push({ topic: a[j].topic, qos: a[j].qos, nl: a[j].nl, rap: a[j].rap, rh: a[j].rh, u: true });
  for (k in c._subs) subs.push(c._subs[k]);
  return { id: c._id, inc: c._in2.slice(), out: out, subs: subs, queue: c._q._a };
}

/**
 * Restore the saved session into a fresh client (after boot), before
 * `connect()`; the client must use clean = false. On CONNACK the client
 * resends in-flight PUBLISH with DUP (PUBREL for those past PUBREC) in order.
 * Returns an error (SESSION_CORRUPT) if the record is unusable (the client
 * then starts empty), undefined otherwise (also when there is no record).
 */
export function restore(c: SleepClient): WrenError | undefined {
  var st = c._h.storage,
    b = st && st.read(SESSION_RECORD),
    r: SessionRecord | WrenError,
    now = c._h.clock.now(),
    i: number;
  if (!b) return;
  r = decodeSession(b);
  if ((r as WrenError).code) return r as WrenError;
  r = r as SessionRecord;
  c._id = r.id;
  c._in2 = r.inc;
  // every saved PUBLISH went out before: resent with DUP [MQTT-3.3.1-1]
  for (i = 0; i < r.out.length; i++) (r.out[i].p.dup = true), c._out.push({ p: r.out[i].p, w: [4, 5, 7][r.out[i].s || 0], t: now });
  for (i = 0; i < r.subs.length; i++)
    if ((r.subs[i] as Sub).u) c.subscribe(r.subs[i].topic, r.subs[i]);
    else c._subs[r.subs[i].topic] = r.subs[i];
  for (i = 0; i < r.queue.length; i++) {
    var p = r.queue[i].p,
      n = p.topic.length + p.payload.length;
    c._q._a.push({ p: p, n: n });
    c._q._b += n;
  }
}

/**
 * Deep sleep for `ms`: wait (bounded) for in-flight messages to complete,
 * save the session in ONE storage write, disconnect cleanly, call `cb(err)`,
 * then `hal.power.deepSleep(ms)` (on a board execution restarts at boot:
 * call `restore` and `connect` there). Messages that do not fit the record
 * are reported with SESSION_FULL (their callback, else `error`, and `drop`).
 * `cb` gets NO_STORAGE if there is no storage HAL (nothing saved, still
 * disconnected).
 */
export function sleep(c: SleepClient, ms: number, cb?: (err?: Error) => void, o?: SleepOptions): void {
  var h = c._h,
    clk = h.clock,
    until = clk.now() + ((o && o.wait) || 5000);
  function busy() {
    for (var i = 0; i < c._out.length; i++) if (c._out[i].p.type == 3) return true;
    return c._q._a.length > 0 || c._in2.length > 0;
  }
  function save() {
    var rej: any[] = [],
      err: WrenError | undefined,
      i: number,
      e: any;
    // still connecting counts: what is queued goes out once connected
    if (busy() && clk.now() < until) return void clk.setTimer(save, 20);
    if (h.storage) {
      h.storage.write(SESSION_RECORD, encodeSession(snapshot(c), (o && o.max) || 2048, rej));
      for (i = 0; i < rej.length; i++) {
        e = rej[i];
        if (!e.p) continue; // a subscription or an incoming id: nothing to call back
        err = wrenError("SESSION_FULL", e.p.topic);
        if (e.cb) e.cb(err);
        else c.emit("error", err);
        c.emit("drop", e.p, err);
      }
    } else err = wrenError("NO_STORAGE");
    // saved: these survive in the record, not in RAM; end() must not fail them
    for (i = 0; i < c._out.length; i++) if (c._out[i].p.type == 3) c._out.splice(i--, 1);
    c._q._a = [];
    c._q._b = 0;
    c.end();
    if (cb) cb(err && err.code == "NO_STORAGE" ? err : undefined);
    if (h.power) h.power.deepSleep(ms);
  }
  save();
}
