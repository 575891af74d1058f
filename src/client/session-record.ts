/**
 * The session as one compact binary record, for deep sleep: what a client must
 * remember to resume a persistent session [MQTT-4.1.0-1] (packet-id counter,
 * unacknowledged outgoing QoS 1/2, incoming QoS 2 ids awaiting PUBREL) plus its
 * subscriptions and offline queue.
 *
 * Layout (version 2): u8 2 | u16 next packet id (big-endian) | items | u16 check
 * Every item field is a varint (MQTT variable byte integer [MQTT-1.5.5]), so
 * one reader and one writer serve them all. An item starts with its tag
 * `x * 4 + kind`, and items of a kind keep their order:
 *   kind 0  incoming QoS 2 id awaiting PUBREL     x = the id
 *   kind 1  unacknowledged outgoing, oldest first x = qos | retain << 2 | state << 3;
 *           then id, then topic payload unless state 2 (PUBREL: only the id matters)
 *   kind 2  subscription                          x = qos | nl << 2 | rap << 3 | rh << 4 | unacked << 6;
 *           then topic
 *   kind 3  queued publish                        x = qos | retain << 2; then topic payload
 * topic   = n, n x UTF-16 code unit (1 byte per ASCII char, any string round-trips)
 * payload = n, n raw bytes
 * check   = c = c * 31 + byte (mod 2^16) over everything before it: 31 is odd,
 *           so any single changed byte changes it.
 *
 * The check and an exact-length parse reject a torn or corrupt record.
 * The record is bounded (`max` bytes, from the board profile): kinds are
 * filled in priority order (ids, in-flight, subscriptions, queue) and within a
 * kind in order, so order is kept; the first item that does not fit and
 * all after it of its kind are handed back in `rejected` for the caller to
 * report. Nothing is lost silently. 5.0 properties are not saved.
 */
import { fail, isStr, wrenError, WrenError } from "../errors";
import type { PublishPacket, Subscription } from "../codec/packet";
import { utf8Write } from "../codec/utf8";
import { ON_BOARD } from "../entry/board";
import { rBytes, re, rErr, rInit, rp, rVbi } from "../codec/reader";

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

/** The record's check value of b[0..n) (see the layout above). */
export function check16(b: Uint8Array, n: number): number {
  for (var c = 0, i = 0; i < n; ) c = (c * 31 + b[i++]) & 65535;
  return c;
}

/**
 * Encode `r` into at most `max` (>= 5) bytes. Items that do not fit are pushed
 * to `rejected` (in-flight and queued entries, subscriptions, incoming ids).
 */
export function encodeSession(r: SessionRecord, max: number, rejected: unknown[]): Uint8Array {
  var b = new Uint8Array(ON_BOARD ? max : max + 1),
    lim = max - 2,
    p = 3,
    over = 0,
    k = 0,
    i: number,
    j: number,
    x: number,
    at: number,
    e: any,
    q: any,
    l: any[];
  // (no bound here: an item that ends past `lim` is taken back whole below, and
  // index writes past the buffer's end go nowhere)
  function vi(v: number) {
    do {
      b[p++] = (v & 127) | (v > 127 ? 128 : 0);
      // every value is < 2^31 (ids * 4, UTF-16 units, lengths within `max`)
      v >>= 7;
    } while (v);
  }
  function str(t: string) {
    vi(t.length);
    for (var j = 0; j < t.length; ) vi(t.charCodeAt(j++));
  }
  b[0] = 2;
  b[1] = r.id >> 8;
  b[2] = r.id;
  // (booleans and undefined shift as 1 and 0; vi(undefined) writes 0; a queued
  // entry has no `s`; `over` also marks the kind full: no later item of it is written)
  for (; k < 4; k++)
    for (l = [r.inc, r.out, r.subs, r.queue][k], over = i = 0; i < l.length; i++) {
      e = l[i];
      if (!over) {
        x = p;
        if (!k) vi(e * 4);
        else if (k == 2) {
          vi((e.qos | (e.nl << 2) | (e.rap << 3) | (e.rh << 4) | (e.u << 6)) * 4 + 2);
          str(e.topic);
        } else {
          q = e.p;
          vi((q.qos | (q.retain << 2) | (e.s << 3)) * 4 + k);
          if (k < 2) vi(q.messageId);
          if (!(e.s > 1)) {
            str(q.topic);
            // the payload's bytes go 3 past `p` (room for their length), then move
            // down behind it; a string (the client keeps it as given) as UTF-8.
            // (What lands past `lim` is dropped with the item or overwritten later.)
            // Off a board 4 past (`b` has a byte more for it): a payload of 2 MiB or
            // more has a 4-byte length, which overwrote its first byte and the move
            // then copied that over all of it. A board's payloads stay under 64 KiB.
            if (isStr((q = q.payload))) j = utf8Write(q, b, (at = p + (ON_BOARD ? 3 : 4))) - at;
            else for (at = p + (ON_BOARD ? 3 : 4), j = 0; j < q.length; j++) b[at + j] = q[j];
            vi(j);
            for (q = at + j; at < q; ) b[p++] = b[at++];
          }
        }
        if (p > lim) (over = 1), (p = x);
      }
      if (over) rejected.push(e);
    }
  i = check16(b, p);
  b[p++] = i >> 8;
  b[p++] = i;
  return b.subarray(0, p);
}

/**
 * Decode a record; a WrenError `SESSION_CORRUPT` if it is torn, corrupt or of another version.
 * Read with the codec's reader: its varints are the record's (at most 4 bytes,
 * minimal, as encodeSession writes them), and a read past the end fails it.
 */
export function decodeSession(b: Uint8Array): SessionRecord | WrenError {
  // (shorter than 5 bytes: the reader starts past its end, 3 > n, which rErr() fails)
  var n = b.length - 2,
    bad = b[0] != 2 || check16(b, n) != ((b[n] << 8) | b[n + 1]),
    r: SessionRecord = { id: (b[1] << 8) | b[2], inc: [], out: [], subs: [], queue: [] },
    f: number,
    k: number,
    e: any;
  function str() {
    // (a code unit owed at the end of the record makes it corrupt, `bad`; a failed
    // read ends the record)
    for (var t = "", j = rVbi(); j-- > 0 && !(bad = rp >= re); ) t += String.fromCharCode(rVbi());
    return t;
  }
  rInit(b, 3, n);
  while (!bad && rp < re) {
    f = rVbi();
    k = f & 3;
    // (kind 0: the id is the item)
    e = f >>= 2;
    if (k == 2) {
      e = { topic: str(), qos: f & 3, nl: !!(f & 4), rap: !!(f & 8), rh: (f >> 4) & 3 };
      if (f & 64) e.u = true;
    } else if (k) {
      e = { p: { type: 3, qos: f & 3, retain: !!(f & 4), dup: false, topic: "", payload: new Uint8Array(0) } };
      if (k < 2) (e.s = f >> 3), (e.p.messageId = rVbi());
      // (a queued entry has no `s`)
      if (!(e.s > 1)) {
        e.p.topic = str();
        // a copy: the storage HAL may hand back a view of flash that the next save overwrites
        e.p.payload = new Uint8Array(rBytes(rVbi()));
      }
    }
    ([r.inc, r.out, r.subs, r.queue][k] as any[]).push(e);
  }
  return bad || rErr() ? wrenError("SESSION_CORRUPT") : r;
}

/* ---- deep sleep: the client's session to and from the record ---- */

/** The client fields persistence reads and writes (see client.ts). */
interface SleepClient {
  _id: number;
  _out: { p: { type: number; messageId?: number; topic?: string; subscriptions?: Subscription[] }; cb?: (e?: Error | null) => void; w: number; t: number; s?: number }[];
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
 * Restore the saved session into a fresh client (after boot), before
 * `connect()`; the client must use clean = false. On CONNACK the client
 * resends in-flight PUBLISH with DUP (PUBREL for those past PUBREC) in order.
 * Returns an error (SESSION_CORRUPT) if the record is unusable (the client
 * then starts empty), undefined otherwise (also when there is no record).
 */
export function restore(c: SleepClient): WrenError | undefined {
  var s = c._h.storage,
    r: any = s && s.read(SESSION_RECORD),
    t = c._h.clock.now(),
    q = c._q,
    i = 0,
    e: any;
  if (!r) return;
  r = decodeSession(r);
  if (r.code) return r;
  c._id = r.id;
  c._in2 = r.inc;
  // the decoded entries become the client's own (extra fields are harmless)
  for (; (e = r.out[i]); i++) {
    // every saved PUBLISH went out before: resent with DUP [MQTT-3.3.1-1]
    e.p.dup = true;
    // awaited ack: PUBACK 4, PUBREC 5, PUBCOMP 7 (state 0, 1, 2)
    e.w = e.s + 4 + (e.s >> 1);
    e.t = t;
    c._out.push(e);
  }
  for (i = 0; (e = r.subs[i]); i++)
    if (e.u) c.subscribe(e.topic, e);
    else c._subs[e.topic] = e;
  for (i = 0; (e = r.queue[i]); i++) q._a.push(e), (q._b += e.n = e.p.topic.length + e.p.payload.length);
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
  function save() {
    var a = c._out,
      out: any[] = [],
      subs: any[] = [],
      rej: any[] = [],
      i = 0,
      j: number,
      e: any,
      s: any;
    // the session: in-flight PUBLISH/PUBREL, subscriptions (those still
    // awaiting SUBACK marked to be sent again); a pending UNSUBSCRIBE is not kept
    for (; (e = a[i]); i++)
      // (the client's entry itself, with its state: PUBACK 4, PUBREC 5, PUBCOMP 7 -> 0, 1, 2)
      if (e.p.type == 3) (e.s = (e.w - 3) >> 1), out.push(e);
      else if ((s = e.p.subscriptions)) for (j = 0; j < s.length; j++) subs.push(((e = Object.create(s[j])).u = true) && e);
    // still connecting counts: what is queued goes out once connected
    if ((out.length || c._q._a.length || c._in2.length) && clk.now() < until) return void clk.setTimer(save, 20);
    for (s in c._subs) subs.push(c._subs[s]);
    if (h.storage) {
      h.storage.write(SESSION_RECORD, encodeSession({ id: c._id, inc: c._in2, out: out, subs: subs, queue: c._q._a }, (o && o.max) || 2048, rej));
      for (i = 0; i < rej.length; i++)
        if ((e = rej[i]).p) {
          // a subscription or an incoming id has nothing to call back
          s = wrenError("SESSION_FULL", e.p.topic);
          fail(c, e.cb, s);
          c.emit("drop", e.p, s);
        }
    }
    // saved: these survive in the record, not in RAM; end() must not fail them
    for (i = 0; (e = a[i]); i++) if (e.p.type == 3) a.splice(i--, 1);
    c._q._a = [];
    c._q._b = 0;
    c.end();
    if (cb) cb(h.storage ? undefined : wrenError("NO_STORAGE"));
    if (h.power) h.power.deepSleep(ms);
  }
  save();
}
