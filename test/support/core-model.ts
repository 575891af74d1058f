/**
 * A model-based rig for the core profile's client (src/core/client.ts): the
 * client on Espruino's host (test/support/tiny-rig.ts espruinoHost: binary
 * strings, a virtual clock, timers whose clear throws once fired) talks to a
 * small MQTT 3.1.1 broker model over scripted sockets; a list of actions
 * (publish, subscribe, clock, network cuts mid-packet, broker restarts with or
 * without the session, end/connect) drives both, then the network is let to
 * settle and the invariants are checked:
 *
 * - every publish / subscribe / unsubscribe / end callback runs exactly once,
 *   with an error only when the run explains it (QUEUE_DROPPED as the
 *   queue's policy says, ENDED inside end());
 * - client -> broker: QoS 1 at least once, QoS 2 exactly once (once more
 *   for each time the broker lost the session meanwhile), QoS 0 at most once;
 *   first arrivals per QoS in publish order [MQTT-4.6.0]; every publish first
 *   written in call order (the offline queue keeps order);
 * - broker -> client: every message the broker routed to the session
 *   delivered (QoS 1 at least once, QoS 2 exactly once, QoS 0 at most once;
 *   those of a session since lost at most once), first deliveries per QoS in
 *   the broker's order;
 * - the broker's subscriptions at the end are those the client's acknowledged
 *   subscribe/unsubscribe calls left (the client subscribes again in a new
 *   session), unless MQTT's own race hid the loss (a CONNACK cut off);
 * - connected and idle, the client keeps the connection with PINGREQs
 *   [MQTT-3.1.2-23/24];
 * - the wire: every client write parses as MQTT 3.1.1 (decodeAnyPacket),
 *   CONNECT first and once, nothing after DISCONNECT, DUP only on resends
 *   [MQTT-3.3.1-1/2], no packet id used twice at once [MQTT-2.3.1-2], no
 *   PUBLISH resent after its PUBREC [MQTT-4.3.3], at most inflightWindow QoS>0
 *   publishes in flight, no write before open or after end();
 * - at most one timer pending at any time, none after end(); nothing thrown
 *   out of the client but the test's own listeners' errors (Espruino prints
 *   those and goes on: every event the test fires is wrapped).
 *
 * Listeners and callbacks may throw (cfg.throwP) and may call the client
 * back (cfg.reenter: publish, subscribe, unsubscribe, end, end + connect).
 * Random decisions within a run come from a PRNG seeded by the generated
 * config, so a run is deterministic. `avoid` (World.avoid) steers clear of
 * known defects, each kept as an example test in client-core-model.test.ts.
 */
import * as assert from "uvu/assert";
import fc from "fast-check";
import { seededRandom } from "../../src/hal/memory/index";
import { coreClient, type CoreOptions } from "../../src/core/client";
import { installEmitter } from "../../src/client/emitter";
import { decodeAnyPacket } from "../../src/codec/decode-server";
import { matches } from "../../src/client/topic";
import { espruinoHost, type FakeSocket } from "./tiny-rig";

export const TOPICS = ["a", "a/b", "b", "\u00e9/x", "\u20ac", "\ud83d\ude00/z", "c/d/e", "x y"];
export const FILTERS = ["a/+", "b/#", "+", "c/+/e", "\u20ac", "+/+"];
const POLICIES = ["drop-oldest", "drop-new", "latest"] as const;

export interface Cfg {
  keepalive: number;
  ackTimeout?: number;
  window: number;
  /** queue bounds; `policy` index into drop-oldest, drop-new, latest */
  qLimit: number;
  qBytes: number;
  policy: number;
  connectTimeout: number;
  min: number;
  max: number;
  jitter: number;
  random: number;
  /** chance that a listener or callback throws */
  throwP: number;
  seed: number;
  /** QoS of the client's "#" subscription (the loopback) */
  hashQos: number;
  /** chance that a listener or callback calls the client itself (publish, subscribe, end, end + connect) */
  reenter: number;
}

export type Action =
  | { t: "pub"; qos: number; topic: number; body: number[]; retain: boolean }
  | { t: "sub"; filter: number; qos: number }
  | { t: "unsub"; filter: number }
  | { t: "inject"; qos: number; topic: number; body: number[] }
  | { t: "open" }
  | { t: "net"; chunks: number[] }
  | { t: "read"; n: number }
  | { t: "recv"; n: number; chunks: number[] }
  | { t: "tick"; ms: number }
  | { t: "cut"; c2b: number; b2c: number; err: boolean; recvFirst: boolean; chunks: number[] }
  | { t: "restart"; keep: boolean }
  | { t: "refuse" }
  | { t: "dialFail" }
  | { t: "end"; force: boolean; cb: boolean }
  | { t: "connect" }
  | { t: "skew"; ms: number };

export class ListenerError extends Error {}

/** Makes the client under test from the core profile's host functions (`host`: the rig's espruinoHost, for adapters). */
export type Factory = (
  o: CoreOptions,
  dial: (target: any, onOpen: () => void) => any,
  now: () => number,
  setTimer: (fn: () => void, ms: number) => unknown,
  clearTimer: (t: unknown) => void,
  random: () => number,
  host: ReturnType<typeof espruinoHost>,
) => any;

const F = String.fromCharCode;
const u16 = (n: number) => F(n >> 8, n & 255);
function vbi(n: number): string {
  let s = "";
  do {
    let d = n % 128;
    n = Math.floor(n / 128);
    if (n) d |= 128;
    s += F(d);
  } while (n);
  return s;
}
const pkt = (h: number, body: string) => F(h) + vbi(body.length) + body;
const utf8 = (s: string) => Buffer.from(s, "utf8").toString("latin1");
const mstr = (s: string) => u16(utf8(s).length) + utf8(s);
const hex = (s: string) => Buffer.from(s, "latin1").toString("hex");

/** What the broker grants: "c/+/e" refused (0x80), "+/+" at most QoS 1, the rest as asked. */
export function grant(f: string, q: number): number {
  return f == "c/+/e" ? 128 : f == "+/+" ? Math.min(q, 1) : q;
}

/** A small deterministic PRNG (mulberry32). */
const prng = seededRandom;

interface Msg {
  /** "c" + seq: a client publish; "x" + seq: injected by the broker */
  key: string;
  topic: string;
  payload: string;
  qos: number;
}

interface Pub {
  seq: number;
  qos: number;
  topic: string;
  payload: string;
  retain: boolean;
  /** bytes the offline queue counts */
  n: number;
  cbs: string[];
  written: number;
  id?: number;
  /** times the broker lost its session while this one was pending: QoS 2 may arrive once more each time */
  relaxed: number;
  /** arrivals at the broker (QoS 2: routed ones) */
  acc: number;
}

interface Commit {
  key: string;
  qos: number;
  topic: string;
  payload: string;
  epoch: number;
}

interface SubCall {
  what: string;
  f: string;
  sub: boolean;
  cbs: string[];
  qos: number[];
}

interface OutEntry {
  id: number;
  /** awaiting 4 PUBACK, 5 PUBREC, 7 PUBCOMP */
  w: number;
  m: Msg;
}

interface Session {
  subs: { [f: string]: number };
  in2: { [id: number]: 1 };
  out: OutEntry[];
  queue: Msg[];
  lastId: number;
  conn: Conn | null;
}

interface Conn {
  n: number;
  s: FakeSocket;
  opened: boolean;
  /** the client was told the socket closed */
  closedEv: boolean;
  /** the client's bytes, parsed into packets as written */
  cw: string;
  cParsed: number;
  cPkts: { end: number; p: any }[];
  cRead: number;
  cNext: number;
  sawConnect: boolean;
  sawDisconnect: boolean;
  /** broker side: 0 awaiting CONNECT, 1 connected, 2 closed */
  bs: number;
  closeAfterDrain: boolean;
  /** the broker's bytes, with packet ends */
  bw: string;
  bPkts: { end: number; type: number; id: number }[];
  bDeliv: number;
  bDone: number;
  sp?: boolean;
  /** when the broker last read a packet on it */
  lastRx: number;
}

/** An id the client has in use (by its own writes and the acks it processed). */
interface InUse {
  kind: number; // 3 publish, 8 subscribe, 10 unsubscribe
  key: string;
  rec?: boolean;
  /** its final ack may or may not have been processed (the client dropped within that chunk) */
  maybe?: boolean;
  maybeRec?: boolean;
}

export class World {
  h: ReturnType<typeof espruinoHost>;
  c: any;
  rng: () => number;
  violations: string[] = [];
  log: string[] = [];
  conns: Conn[] = [];
  session: Session | null = null;
  epoch = 0;
  refuseNext = false;
  failDialNext = false;
  pubs: Pub[] = [];
  subCalls: SubCall[] = [];
  /** the subscriptions the client's acknowledged calls leave (filter -> granted QoS); `unsure`: an ENDED call's filter */
  want: { [f: string]: number } = {};
  unsure: { [f: string]: 1 } = {};
  endCalls: { cbs: number }[] = [];
  commits: Commit[] = [];
  deliveries: { key: string; qos: number; dup: boolean }[] = [];
  accepted: { seq: number; qos: number }[] = [];
  injected = 0;
  inUse: { [id: number]: InUse } = {};
  /** publishes called, not written, not failed: the offline queue as the model sees it */
  mq: Pub[] = [];
  inEnd = 0;
  lostPending = false;
  lostEver = false;
  subsVoid = false;
  skewed = false;
  endCount = 0;
  inPublish: Pub | null = null;
  /** publishes whose publish() call has not returned: the client may still drop them */
  calling: Pub[] = [];
  /** a PUBLISH written while publishes ahead of it were still in their publish() call: fine if they are dropped there */
  overtaken: { pub: Pub; ahead: Pub[] }[] = [];
  dropsInCall: Pub[] = [];
  stopped = false;
  win: number;

  constructor(
    public cfg: Cfg,
    factory: Factory = coreClient,
  ) {
    this.rng = prng(cfg.seed);
    this.win = cfg.window;
    const h = (this.h = espruinoHost(cfg.random));
    const opts: CoreOptions = {
      host: "h",
      port: 1883,
      clientId: "c",
      clean: false,
      keepalive: cfg.keepalive,
      ackTimeout: cfg.ackTimeout,
      inflightWindow: cfg.window,
      connectTimeout: cfg.connectTimeout,
      queue: { limit: cfg.qLimit, bytes: cfg.qBytes, policy: POLICIES[cfg.policy] },
      reconnect: { min: cfg.min, max: cfg.max, jitter: cfg.jitter },
    } as CoreOptions;
    const dial = (target: any, onOpen: () => void) => {
      if (this.failDialNext) {
        this.failDialNext = false;
        throw new Error("ENOTFOUND");
      }
      const s = h.dial(target, onOpen);
      this.addConn(s);
      return s;
    };
    const setTimer = (fn: () => void, ms: number) => {
      if (!(ms >= this.minTimer) || ms !== ms) this.violation("setTimer(" + ms + ")");
      const t = h.setTimer(() => this.guard("timer", fn), ms);
      if (h.timers() > 1) this.violation("more than one timer pending: " + h.timers());
      return t;
    };
    this.c = factory(opts, dial, h.now, setTimer, h.clearTimer, h.random, h);
    installEmitter(this.c);
    this.listen();
  }

  /** the shortest timer the client may ask for (the core client never asks for 0 ms; Espruino's setTimeout takes it) */
  minTimer = 1;

  /** A publish's payload as the client under test takes it (the core client: the binary string). */
  outPayload(p: string): any {
    return p;
  }

  violation(s: string) {
    this.violations.push(s + " (t=" + this.h.clock.now() + ")");
  }

  /**
   * Known defects not to trigger again (each has its own example test):
   * "end": no listener throws within end();
   * "drop": no QUEUE_DROPPED callback throws;
   * "skew": after the clock was set back, the first keepalive wait when idle is not checked
   *   (the idle count runs from the first packet);
   * "endresub", "resuborder": the broker's subscriptions are not checked after such a run.
   */
  avoid: string[] = [];

  depth = 0;

  /** A listener or callback: it may call the client, then it may throw. */
  maybeThrow(where: string) {
    if (this.rng() < this.cfg.reenter && !this.inEnd && this.depth < 3) {
      const r = this.rng(),
        q = Math.floor(this.rng() * 3),
        k = Math.floor(this.rng() * 1e6);
      this.depth++;
      this.log.push("  (" + where + " listener calls the client: " + r.toFixed(2) + ")");
      if (r < 0.5) this.publish(q, TOPICS[k % TOPICS.length], [k & 255, (k >> 8) & 255], !!(k & 1));
      else if (r < 0.65) this.subscribe(FILTERS[k % FILTERS.length], q);
      else if (r < 0.75) this.unsubscribe(FILTERS[k % FILTERS.length]);
      else {
        this.end(!!(k & 1), !!(k & 2));
        if (r > 0.9) this.connect();
      }
      this.depth--;
    }
    if (this.inEnd && this.avoid.includes("end")) return;
    if (this.rng() < this.cfg.throwP) throw new ListenerError("listener " + where);
  }

  /** Run `fn` as Espruino would run an event: what it throws is printed, not fatal; anything but a listener's error is a violation. */
  guard(where: string, fn: () => void): unknown {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof ListenerError)) this.violation(where + " threw " + ((e as any)?.stack || e));
      return e;
    }
    return undefined;
  }

  listen() {
    const c = this.c;
    c.on("message", (t: string, p: string, m: any) => {
      this.onMessage(t, p, m);
      this.maybeThrow("message");
    });
    c.on("connect", (a: any) => {
      const cn = this.live();
      // after a lost session the client learns it from its next CONNACK (session present 0) and
      // subscribes again; a CONNACK it never got (the connection cut) may have made the new
      // session, then the next says "present" and the subscriptions stay lost: MQTT's race, not the client's
      if (a && this.lostPending) (this.lostPending = false), (this.subsVoid = this.subsVoid || a.sessionPresent);
      if (!cn || cn.sp === undefined) this.violation("connect event without a CONNACK");
      else if (!a || a.sessionPresent !== cn.sp) this.violation("connect event sessionPresent " + (a && a.sessionPresent) + ", CONNACK said " + cn.sp);
      this.maybeThrow("connect");
    });
    c.on("error", (e: any) => {
      this.log.push("error " + e.code);
      if (!/^(NET|PING_TIMEOUT|ACK_TIMEOUT|CONNECT_TIMEOUT|CONNACK_REFUSED)$/.test(e.code)) this.violation("error event " + e.code + " " + e.message);
      this.maybeThrow("error");
    });
    for (const ev of ["close", "offline", "reconnect"])
      c.on(ev, () => {
        this.maybeThrow(ev);
      });
    c.on("end", () => {
      // end() forgets every packet awaiting its ack: their ids are free again
      this.inUse = {};
      this.maybeThrow("end");
    });
  }

  /** The newest socket, if the client has not ended it and it is not closed. */
  live(): Conn | undefined {
    const cn = this.conns[this.conns.length - 1];
    return cn && !cn.s.ended && !cn.closedEv ? cn : undefined;
  }

  addConn(s: FakeSocket) {
    const cn: Conn = {
      n: this.conns.length,
      s,
      opened: false,
      closedEv: false,
      cw: "",
      cParsed: 0,
      cPkts: [],
      cRead: 0,
      cNext: 0,
      sawConnect: false,
      sawDisconnect: false,
      bs: 0,
      closeAfterDrain: false,
      bw: "",
      bPkts: [],
      bDeliv: 0,
      bDone: 0,
      lastRx: 0,
    };
    this.conns.push(cn);
    s.write = (d: string) => this.onWrite(cn, d);
  }

  // ---------------------------------------------------------------- the wire, client -> broker

  onWrite(cn: Conn, d: string) {
    if (typeof d != "string") return this.violation("write of a " + typeof d);
    // within a data event the client may have handled any whole packet of the chunk so far
    if (this.inData) this.processed(this.inData, true, true);
    if (cn.s.ended) this.violation("write after the client ended socket " + cn.n + ": " + hex(d));
    if (!cn.opened) this.violation("write before the socket opened: " + hex(d));
    if (cn.closedEv) this.violation("write on a closed socket: " + hex(d));
    for (let i = 0; i < d.length; i++) if (d.charCodeAt(i) > 255) return this.violation("write of a char above 0xFF: " + JSON.stringify(d));
    cn.cw += d;
    // whole packets: fixed header, remaining length (at most 4 bytes) [MQTT-2.2.3], body
    for (;;) {
      const b = cn.cw,
        s = cn.cParsed;
      if (b.length - s < 2) break;
      let n = 0,
        m = 1,
        j = s + 1,
        x: number;
      do {
        if (j >= b.length) return;
        x = b.charCodeAt(j++);
        n += (x & 127) * m;
        m *= 128;
        if (j - s > 5) return this.violation("remaining length over 4 bytes");
      } while (x & 128);
      if (j + n > b.length) return;
      const raw = b.substring(s, j + n);
      cn.cParsed = j + n;
      const buf = Buffer.from(raw, "latin1");
      const p: any = decodeAnyPacket(raw.charCodeAt(0), buf, j - s, raw.length, 4);
      if (typeof p == "string") {
        this.violation("client wrote a malformed packet (" + p + "): " + hex(raw));
        continue;
      }
      p.raw = raw;
      cn.cPkts.push({ end: cn.cParsed, p });
      this.checkOut(cn, p, raw);
    }
  }

  /** The client's packet `p` as it leaves: the client-side protocol rules. */
  checkOut(cn: Conn, p: any, raw: string) {
    const t = p.type;
    if (![1, 3, 4, 5, 6, 7, 8, 10, 12, 14].includes(t)) return this.violation("client wrote packet type " + t);
    if (cn.sawDisconnect) this.violation("packet after DISCONNECT: " + hex(raw));
    if (!cn.sawConnect && t != 1) this.violation("first packet not CONNECT [MQTT-3.1.0-1]: " + hex(raw));
    if (t == 1) {
      if (cn.sawConnect) this.violation("second CONNECT [MQTT-3.1.0-2]");
      cn.sawConnect = true;
      if (p.clean || p.clientId != "c" || p.keepalive != this.cfg.keepalive) this.violation("CONNECT fields " + JSON.stringify(p));
      return;
    }
    if (t == 14) return void (cn.sawDisconnect = true);
    if (t == 3) {
      const pl = Buffer.from(p.payload).toString("latin1");
      const seq = pl.charCodeAt(1) * 256 + pl.charCodeAt(2);
      const pub = pl[0] == "c" ? this.pubs[seq] : undefined;
      if (!pub) return this.violation("PUBLISH of no publish: " + hex(raw));
      if (p.topic !== pub.topic || pl !== pub.payload || p.qos !== pub.qos || p.retain !== pub.retain)
        this.violation("PUBLISH " + seq + " fields differ: " + JSON.stringify([p.topic, p.qos, p.retain]) + " vs " + JSON.stringify([pub.topic, pub.qos, pub.retain]));
      if (pub.cbs.length) this.violation("PUBLISH " + seq + " written after its callback ran (" + pub.cbs + ")");
      const first = !pub.written++;
      if (first) {
        // every publish leaves in call order: the offline queue keeps order
        const i = this.mq.indexOf(pub),
          ahead = this.mq.slice(0, i < 0 ? this.mq.length : i);
        // (ahead of it only publishes still in their publish() call, e.g. one whose drop is reported
        // after a callback in it published this one: settled when that call returns)
        if (ahead.length && ahead.every((a) => this.calling.includes(a))) this.overtaken.push({ pub, ahead });
        else if (this.mq[0] !== pub) this.violation("PUBLISH " + seq + " written before " + (this.mq[0] ? this.mq[0].seq : "none") + " (call order)");
        if (i >= 0) this.mq.splice(i, 1);
      }
      if (!pub.qos) {
        if (p.dup) this.violation("DUP on QoS 0 [MQTT-3.3.1-2]");
        if (!first) this.violation("QoS 0 PUBLISH " + seq + " written twice");
        return;
      }
      if (p.dup == first) this.violation("PUBLISH " + seq + (first ? " first sent with DUP" : " resent without DUP") + " [MQTT-3.3.1-1]");
      const id = p.messageId;
      const u = this.inUse[id];
      if (first) {
        if (u && !u.maybe) this.violation("packet id " + id + " of PUBLISH " + seq + " in use by " + JSON.stringify(u) + " [MQTT-2.3.1-2]");
        this.inUse[id] = { kind: 3, key: "" + seq };
        pub.id = id;
        let k = 0;
        for (const i in this.inUse) if (this.inUse[i].kind == 3 && !this.inUse[i].maybe) k++;
        if (k > this.win) this.violation(k + " publishes in flight, window " + this.win);
      } else {
        if (id !== pub.id) this.violation("PUBLISH " + seq + " resent with id " + id + ", first " + pub.id);
        if (!u || u.key != "" + seq) this.violation("PUBLISH " + seq + " resent with id " + id + " not in use for it: " + JSON.stringify(u));
        else {
          if (u.rec && !u.maybeRec) this.violation("PUBLISH " + seq + " resent after its PUBREC [MQTT-4.3.3]");
          u.maybe = false;
        }
      }
      return;
    }
    if (t == 8 || t == 10) {
      const id = p.messageId;
      const body = JSON.stringify(t == 8 ? p.subscriptions : p.unsubscriptions);
      const u = this.inUse[id];
      // (known: a resubscription resent goes after older entries, out of its first order)
      if (u && u.kind == t && u.key == body && this.lostEver && this.avoid.includes("resuborder")) this.subsVoid = true;
      if (u && !u.maybe && !(u.kind == t && u.key == body)) this.violation("packet id " + id + " of " + (t == 8 ? "SUBSCRIBE" : "UNSUBSCRIBE") + " in use by " + JSON.stringify(u) + " [MQTT-2.3.1-2]");
      this.inUse[id] = { kind: t, key: body };
    }
  }

  // ---------------------------------------------------------------- the broker

  /** The broker reads up to `n` of the client's bytes on every connection, oldest first. */
  read(n: number) {
    for (const cn of this.conns.slice()) {
      if (cn.bs == 2) continue;
      const k = Math.min(n, cn.cw.length - cn.cRead);
      cn.cRead += k;
      while (cn.bs != 2 && cn.cNext < cn.cPkts.length && cn.cPkts[cn.cNext].end <= cn.cRead) this.serve(cn, cn.cPkts[cn.cNext++].p);
      // the client ended this socket and the broker has read all of it: closed both ways
      if (cn.bs != 2 && cn.s.ended && cn.cRead == cn.cw.length) this.closeConn(cn);
    }
  }

  bwrite(cn: Conn, raw: string, type: number, id = 0) {
    if (cn.bs == 2) return;
    cn.bw += raw;
    cn.bPkts.push({ end: cn.bw.length, type, id });
  }

  newSession(): Session {
    // a session that replaces a lost one numbers its messages apart from the old one's: a
    // client told "session present" by a session the broker made anew (a CONNECT it read
    // from a connection the client had given up) still holds the old QoS 2 ids awaiting
    // PUBREL, and a QoS 2 PUBLISH reusing one is not delivered [MQTT-4.3.3-2]: no
    // exactly-once across a lost session
    return { subs: {}, in2: {}, out: [], queue: [], lastId: this.epoch * 1000, conn: null };
  }

  serve(cn: Conn, p: any) {
    const t = p.type;
    cn.lastRx = this.h.clock.now();
    if (cn.bs == 0) {
      if (t != 1) return this.closeConn(cn);
      if (this.refuseNext) {
        this.refuseNext = false;
        this.bwrite(cn, pkt(0x20, "\0\x03"), 2);
        cn.bs = 2;
        cn.closeAfterDrain = true;
        return;
      }
      let s = this.session;
      const sp = !!s;
      if (!s) s = this.session = this.newSession();
      // a second connection takes the session over [MQTT-3.1.4-2]
      if (s.conn && s.conn != cn) this.closeConn(s.conn);
      s.conn = cn;
      cn.bs = 1;
      cn.sp = sp;
      this.bwrite(cn, pkt(0x20, F(sp ? 1 : 0, 0)), 2);
      // unacknowledged messages again, in order, with DUP; PUBRELs again [MQTT-4.4.0-1]
      for (const e of s.out) this.sendEntry(cn, e, true);
      while (s.queue.length && s.conn == cn) this.deliver(s, s.queue.shift()!);
      return;
    }
    const s = this.session!;
    if (!s || s.conn != cn) return;
    const id = p.messageId;
    switch (t) {
      case 3: {
        const pl = Buffer.from(p.payload).toString("latin1");
        const seq = pl.charCodeAt(1) * 256 + pl.charCodeAt(2);
        if (p.qos == 2) {
          this.bwrite(cn, pkt(0x50, u16(id)), 5, id);
          if (s.in2[id]) return;
          s.in2[id] = 1;
        } else if (p.qos == 1) this.bwrite(cn, pkt(0x40, u16(id)), 4, id);
        const pub = this.pubs[seq];
        pub.acc++;
        this.accepted.push({ seq, qos: p.qos });
        this.route({ key: "c" + seq, topic: p.topic, payload: pl, qos: p.qos });
        return;
      }
      case 6:
        delete s.in2[id];
        return this.bwrite(cn, pkt(0x70, u16(id)), 7, id);
      case 8: {
        let codes = "";
        for (const x of p.subscriptions) {
          const g = grant(x.topic, x.qos);
          if (g < 128) s.subs[x.topic] = g;
          codes += F(g);
        }
        return this.bwrite(cn, pkt(0x90, u16(id) + codes), 9, id);
      }
      case 10:
        for (const f of p.unsubscriptions) delete s.subs[f];
        return this.bwrite(cn, pkt(0xb0, u16(id)), 11, id);
      case 12:
        return this.bwrite(cn, pkt(0xd0, ""), 13);
      case 14:
        // DISCONNECT: the connection closes, the session stays (clean = false)
        s.conn = null;
        cn.bs = 2;
        cn.closeAfterDrain = true;
        return;
      case 4:
      case 5:
      case 7: {
        const i = s.out.findIndex((e) => e.id == id && e.w == t);
        if (i < 0) return;
        if (t == 5) {
          s.out[i].w = 7;
          this.bwrite(cn, pkt(0x62, u16(id)), 6, id);
        } else s.out.splice(i, 1);
        return;
      }
    }
  }

  /** A message to the session's subscriptions (one copy, at the highest matching QoS [MQTT-3.3.5-1]). */
  route(m: Msg) {
    const s = this.session;
    if (!s) return;
    let q = -1;
    for (const f in s.subs) if (matches(f, m.topic)) q = Math.max(q, s.subs[f]);
    if (q < 0) return;
    const d: Msg = { key: m.key, topic: m.topic, payload: m.payload, qos: Math.min(q, m.qos) };
    this.commits.push({ key: d.key, qos: d.qos, topic: d.topic, payload: d.payload, epoch: this.epoch });
    if (s.conn) this.deliver(s, d);
    else if (d.qos) s.queue.push(d);
  }

  deliver(s: Session, m: Msg) {
    const cn = s.conn!;
    if (!m.qos) return this.bwrite(cn, pkt(0x30, mstr(m.topic) + m.payload), 3);
    let id = s.lastId;
    do id = (id % 65535) + 1;
    while (s.out.some((e) => e.id == id));
    s.lastId = id;
    const e: OutEntry = { id, w: m.qos == 1 ? 4 : 5, m };
    s.out.push(e);
    this.sendEntry(cn, e, false);
  }

  sendEntry(cn: Conn, e: OutEntry, dup: boolean) {
    if (e.w == 7) return this.bwrite(cn, pkt(0x62, u16(e.id)), 6, e.id);
    this.bwrite(cn, pkt(0x30 | (e.m.qos << 1) | (dup ? 8 : 0), mstr(e.m.topic) + u16(e.id) + e.m.payload), 3, e.id);
  }

  /** The broker closes `cn` (or sees it closed): what it had not read is lost; the client hears "close". */
  closeConn(cn: Conn, err?: string) {
    cn.bs = 2;
    if (this.session && this.session.conn == cn) this.session.conn = null;
    if (!cn.closedEv) {
      cn.closedEv = true;
      if (err) this.guard("socket error", () => cn.s.fire("error", { message: err }));
      this.guard("socket close", () => cn.s.fire("close"));
    }
  }

  // ---------------------------------------------------------------- the wire, broker -> client

  /** Up to `n` of the broker's bytes to the client, in chunks of the sizes `chunks` (cycled). */
  /** Up to `n` broker->client bytes of `cn` to the client, cut in `chunks` sizes (round robin). */
  feed(cn: any, n: number, chunks: number[]) {
    let k = 0;
    while (cn.bDeliv < cn.bw.length && n > 0 && !cn.closedEv) {
      const size = Math.min(n, Math.max(1, chunks[k++ % chunks.length] || 1), cn.bw.length - cn.bDeliv);
      const d = cn.bw.substr(cn.bDeliv, size);
      const live = !cn.s.ended;
      cn.bDeliv += size;
      n -= size;
      this.fireData(cn, d);
      this.processed(cn, live);
    }
  }

  recv(n: number, chunks: number[]) {
    for (const cn of this.conns.slice()) {
      this.feed(cn, n, chunks);
      if (cn.closeAfterDrain && cn.bDeliv == cn.bw.length) this.closeConn(cn);
    }
  }

  inData: Conn | null = null;

  fireData(cn: Conn, d: string) {
    const o = this.inData;
    this.inData = cn.s.ended ? null : cn;
    this.guard("socket data", () => cn.s.fire("data", d));
    this.inData = o;
  }

  /** After a chunk: the broker packets now whole at the client, processed (or maybe, if the client dropped within the chunk). */
  processed(cn: Conn, live: boolean, tentative?: boolean) {
    const sure = live && !cn.s.ended && !tentative;
    for (let i = cn.bDone; i < cn.bPkts.length && cn.bPkts[i].end <= cn.bDeliv; i++) {
      const b = cn.bPkts[i];
      if (!tentative) cn.bDone = i + 1;
      if (!live) continue;
      const u = this.inUse[b.id];
      if (!u) continue;
      if (b.type == 5 && u.kind == 3) {
        if (sure) (u.rec = true), (u.maybeRec = false);
        else u.maybeRec = true;
      } else if ((b.type == 4 || b.type == 7) && u.kind == 3) {
        if (sure) delete this.inUse[b.id];
        else u.maybe = true;
      } else if ((b.type == 9 && u.kind == 8) || (b.type == 11 && u.kind == 10)) {
        if (sure) delete this.inUse[b.id];
        else u.maybe = true;
      }
    }
  }

  onMessage(t: string, p: string, m: any) {
    const key = p[0] + (p.charCodeAt(1) * 256 + p.charCodeAt(2));
    const cm = this.commits.find((c) => c.key == key);
    if (!cm) return this.violation("message never routed to the client: " + JSON.stringify([t, hex(p)]));
    if (t !== cm.topic || p !== cm.payload) this.violation("message " + key + " differs: " + JSON.stringify([t, hex(p), cm.topic, hex(cm.payload)]));
    if (!m || m.topic !== t || m.payload !== p || m.retain !== false) this.violation("message packet " + JSON.stringify(m));
    this.deliveries.push({ key, qos: m.qos, dup: m.dup });
  }

  // ---------------------------------------------------------------- actions

  publish(qos: number, topic: string, body: number[], retain: boolean) {
    const seq = this.pubs.length;
    const payload = "c" + F(seq >> 8, seq & 255) + F(...body);
    const pub: Pub = { seq, qos, topic, payload, retain, n: topic.length + payload.length, cbs: [], written: 0, acc: 0, relaxed: 0 };
    this.pubs.push(pub);
    const before = this.mq.slice();
    this.mq.push(pub);
    const outer = [this.inPublish, this.dropsInCall] as const,
      n0 = this.pubs.length,
      e0 = this.endCount;
    this.inPublish = pub;
    this.calling.push(pub);
    const drops: Pub[] = (this.dropsInCall = []);
    this.guard("publish", () =>
      this.c.publish(topic, this.outPayload(payload), { qos, retain }, (err: any) => {
        this.pubDone(pub, err);
        if (!(err && err.code == "QUEUE_DROPPED" && this.avoid.includes("drop"))) this.maybeThrow("publish callback");
      }),
    );
    [this.inPublish, this.dropsInCall] = outer;
    this.calling.splice(this.calling.indexOf(pub), 1);
    // a publish written while this one was ahead of it in its call: only if this one was dropped
    for (const o of this.overtaken)
      if (o.ahead.includes(pub) && !pub.cbs.includes("QUEUE_DROPPED"))
        this.violation("PUBLISH " + o.pub.seq + " written before " + pub.seq + " (call order), which was not dropped");
    // (a callback that published or ended in between, or a publish from a callback of another
    // publish call, whose drops may not all be reported yet: the queue is not modelled for this call)
    if (this.pubs.length != n0 || this.endCount != e0 || outer[0]) return;
    // the offline queue: x went out at once (queue empty, connected, room in the window),
    // or went into the queue as its policy says (what it pushed out reported QUEUE_DROPPED)
    if (pub.written && !drops.length) return;
    if (pub.written) return this.violation("publish " + seq + " written and QUEUE_DROPPED reported in the call");
    const q = before.slice(),
      d: Pub[] = [];
    let x: Pub | null = pub,
      bytes = 0;
    for (const e of q) bytes += e.n;
    if (this.cfg.policy == 2) {
      const i = q.findIndex((e) => e.topic == pub.topic);
      if (i >= 0) (bytes -= q[i].n), d.push(q.splice(i, 1)[0]);
    }
    while (q.length >= this.cfg.qLimit || bytes + pub.n > this.cfg.qBytes) {
      if (this.cfg.policy == 1 || !q.length || pub.n > this.cfg.qBytes) {
        d.push(pub);
        x = null;
        break;
      }
      const o = q.shift()!;
      bytes -= o.n;
      d.push(o);
    }
    if (x) q.push(x);
    const want = d.map((e) => e.seq).join(),
      got = drops.map((e) => e.seq).join();
    if (want != got) this.violation("publish " + seq + ": QUEUE_DROPPED for [" + got + "], the queue's policy drops [" + want + "] (queue before [" + before.map((e) => e.seq) + "])");
  }

  pubDone(pub: Pub, err: any) {
    const code = err ? err.code || "?" : "ok";
    pub.cbs.push(code);
    if (pub.cbs.length > 1) this.violation("publish " + pub.seq + " callback ran again: " + pub.cbs);
    const i = this.mq.indexOf(pub);
    if (code == "ok") {
      if (pub.qos ? !pub.acc : !pub.written) this.violation("publish " + pub.seq + " QoS " + pub.qos + " done before the broker had it");
    } else if (code == "ENDED") {
      if (!this.inEnd) this.violation("publish " + pub.seq + " ENDED outside end()");
      if (i >= 0) this.mq.splice(i, 1);
    } else if (code == "QUEUE_DROPPED") {
      if (!this.inPublish) this.violation("publish " + pub.seq + " QUEUE_DROPPED outside publish()");
      if (pub.written) this.violation("publish " + pub.seq + " QUEUE_DROPPED after it was written");
      this.dropsInCall.push(pub);
      if (i >= 0) this.mq.splice(i, 1);
    } else this.violation("publish " + pub.seq + " failed " + code);
  }

  subscribe(filter: string, qos: number) {
    const rec: SubCall = { what: "sub " + filter, f: filter, sub: true, cbs: [], qos: [grant(filter, qos)] };
    this.subCalls.push(rec);
    this.guard("subscribe", () =>
      this.c.subscribe(filter, { qos }, (err: any, granted: any) => {
        this.subDone(rec, err, granted);
        this.maybeThrow("subscribe callback");
      }),
    );
  }

  unsubscribe(filter: string) {
    const rec: SubCall = { what: "unsub " + filter, f: filter, sub: false, cbs: [], qos: [] };
    this.subCalls.push(rec);
    this.guard("unsubscribe", () =>
      this.c.unsubscribe(filter, (err: any) => {
        this.subDone(rec, err);
        this.maybeThrow("unsubscribe callback");
      }),
    );
  }

  subDone(rec: SubCall, err: any, granted?: any) {
    const code = err ? err.code || "?" : "ok";
    if (code == "ENDED") this.unsure[rec.f] = 1;
    else if (code == "ok") {
      delete this.unsure[rec.f];
      if (rec.sub) this.want[rec.f] = rec.qos[0];
      else delete this.want[rec.f];
    }
    rec.cbs.push(code);
    if (rec.cbs.length > 1) this.violation(rec.what + " callback ran again: " + rec.cbs);
    if (code == "ENDED" && !this.inEnd) this.violation(rec.what + " ENDED outside end()");
    const refused = rec.qos[0] == 128;
    if (code != (refused ? "SUBACK_FAILED" : "ok") && code != "ENDED") this.violation(rec.what + " failed " + code);
    if (code != "ENDED" && rec.qos.length && JSON.stringify(granted) != JSON.stringify(rec.qos)) this.violation(rec.what + " granted " + JSON.stringify(granted));
  }

  inject(qos: number, topic: string, body: number[]) {
    const n = this.injected++;
    this.route({ key: "x" + n, topic, payload: "x" + F(n >> 8, n & 255) + F(...body), qos });
  }

  open() {
    const cn = this.live();
    if (!cn || cn.opened) return;
    cn.opened = true;
    this.guard("socket connect", () => cn.s.onOpen());
  }

  /** A network failure on the live socket: the broker gets `c2b` more bytes, the client `b2c`, then both see it closed. */
  cut(a: Extract<Action, { t: "cut" }>) {
    const cn = this.live();
    if (!cn) return;
    const brk = () => {
      const k = Math.min(a.c2b, cn.cw.length - cn.cRead);
      // (only this connection)
      cn.cRead += k;
      while (cn.bs != 2 && cn.cNext < cn.cPkts.length && cn.cPkts[cn.cNext].end <= cn.cRead) this.serve(cn, cn.cPkts[cn.cNext++].p);
    };
    const cli = () => this.feed(cn, a.b2c, a.chunks);
    if (a.recvFirst) cli(), brk();
    else brk(), cli();
    this.closeConn(cn, a.err ? "ECONNRESET" : undefined);
  }

  restart(keep: boolean) {
    for (const cn of this.conns) if (cn.bs != 2 || !cn.closedEv) this.closeConn(cn);
    if (!keep) {
      this.lostPending = this.lostEver = true;
      this.session = null;
      this.epoch++;
      for (const p of this.pubs) if (!p.cbs.length) p.relaxed++;
    }
  }

  end(force: boolean, withCb: boolean) {
    const rec = { cbs: 0 };
    if (withCb) this.endCalls.push(rec);
    this.endCount++;
    // (known: an end() while the resubscription of a new session awaits its SUBACK forgets it)
    if (this.avoid.includes("endresub") && this.lostEver && Object.keys(this.inUse).some((i) => this.inUse[+i].kind == 8)) this.subsVoid = true;
    this.inEnd++;
    this.guard("end", () => this.c.end(force, withCb ? () => (rec.cbs++, this.maybeThrow("end callback")) : undefined));
    this.inEnd--;
    this.stopped = true;
    if (this.h.timers()) this.violation("a timer pending after end()");
  }

  connect() {
    const was = this.stopped;
    // (before the call: a listener within it may end() again)
    this.stopped = false;
    this.guard("connect", () => this.c.connect());
    // the loopback again (an end() may have failed it before its SUBACK)
    if (was) this.subscribe("#", this.cfg.hashQos);
  }

  step(a: Action) {
    this.log.push(JSON.stringify(a));
    switch (a.t) {
      case "pub":
        return this.publish(a.qos, TOPICS[a.topic], a.body, a.retain);
      case "sub":
        return this.subscribe(FILTERS[a.filter], a.qos);
      case "unsub":
        return this.unsubscribe(FILTERS[a.filter]);
      case "inject":
        return this.inject(a.qos, TOPICS[a.topic], a.body);
      case "open":
        return this.open();
      case "net":
        // a working network: the socket opens, bytes flow both ways
        this.open();
        this.read(1 << 30);
        return this.recv(1 << 30, a.chunks);
      case "read":
        return this.read(a.n);
      case "recv":
        return this.recv(a.n, a.chunks);
      case "tick":
        return this.h.clock.advance(a.ms);
      case "cut":
        return this.cut(a);
      case "restart":
        return this.restart(a.keep);
      case "refuse":
        return void (this.refuseNext = true);
      case "dialFail":
        return void (this.failDialNext = true);
      case "end":
        return this.end(a.force, a.cb);
      case "connect":
        return this.connect();
      case "skew":
        // the client's wall clock set back or forward (the timers keep their own)
        this.skewed = true;
        return this.h.skew(a.ms);
    }
  }

  /** Nothing left to do: connected on the live socket, every callback run, nothing in flight either way. */
  quiet(): boolean {
    const cn = this.live();
    const s = this.session;
    return (
      !!cn &&
      this.c.connected &&
      cn.bs == 1 &&
      !!s &&
      s.conn == cn &&
      !s.out.length &&
      !s.queue.length &&
      this.pubs.every((p) => p.cbs.length) &&
      this.subCalls.every((r) => r.cbs.length) &&
      this.conns.every((c) => c.closedEv || (c.cRead == c.cw.length && c.bDeliv == c.bw.length))
    );
  }

  /** Let the network work, no faults, until quiet (the clock runs when nothing else moves). */
  settle() {
    this.refuseNext = this.failDialNext = false;
    this.cfg.throwP = this.cfg.reenter = 0;
    if (this.stopped) this.connect();
    for (let i = 0; i < 400; i++) {
      const before = this.progress();
      this.open();
      this.read(1 << 30);
      this.recv(1 << 30, [7, 1, 64]);
      if (this.quiet()) return true;
      if (this.progress() == before) this.h.clock.advance(500);
    }
    return false;
  }

  /**
   * Quiet and connected: for three keepalives the network answers at once; the client
   * stays on this connection and sends something (PINGREQ) at least every keepalive,
   * so the broker never waits 1.5 keepalives [MQTT-3.1.2-23, 3.1.2-24].
   */
  idle() {
    const cn = this.live()!,
      ka = this.cfg.keepalive * 1000,
      // (a clock set back earlier (the core client) or forward (the class client) may
      // stretch the first wait: see the example tests)
      lax = this.skewed && this.avoid.includes("skew");
    let n = cn.cPkts.length,
      // (lax: the count runs from the first packet, whenever it comes)
      first = !lax,
      end = lax ? 4 * ka + 20000 : 4 * ka;
    cn.lastRx = this.h.clock.now();
    for (let t = 0; t < end; t += 100) {
      this.h.clock.advance(100);
      this.read(1 << 30);
      this.recv(1 << 30, [64]);
      if (this.live() != cn || !this.c.connected) return this.violation("idle and answered, the client dropped the connection");
      if (this.h.clock.now() - cn.lastRx > 1.5 * ka && first) return this.violation("idle: nothing sent for " + (this.h.clock.now() - cn.lastRx) + " ms, keepalive " + ka);
      if (!first && cn.cPkts.length > n) (first = true), (n = cn.cPkts.length), (end = t + 4 * ka);
    }
    if (cn.cPkts.length - n < 3) this.violation("idle: " + (cn.cPkts.length - n) + " packets in 4 keepalives");
  }

  progress(): string {
    return this.conns.length + ":" + this.conns.map((c) => c.cw.length + "/" + c.bw.length + "/" + c.bDeliv + (c.opened ? "o" : "")).join(",");
  }

  /** The invariants over the whole run (after settle()). */
  final(settled: boolean) {
    const v = (s: string) => this.violation(s);
    if (!settled) v("did not settle: " + JSON.stringify({ connected: this.c.connected, out: this.session?.out.length, queue: this.session?.queue.length, pending: this.pubs.filter((p) => !p.cbs.length).map((p) => p.seq), subs: this.subCalls.filter((r) => !r.cbs.length).map((r) => r.what) }));
    for (const p of this.pubs) {
      if (p.cbs.length != 1) v("publish " + p.seq + " (QoS " + p.qos + ") callback ran " + p.cbs.length + " times");
      const r = p.cbs[0];
      const hi = 1 + p.relaxed;
      if (r == "ok" && p.qos == 1 && p.acc < 1) v("publish " + p.seq + " QoS 1 ok but never reached the broker");
      if (r == "ok" && p.qos == 2 && (p.acc < 1 || p.acc > hi)) v("publish " + p.seq + " QoS 2 ok, reached the broker " + p.acc + " times");
      if (r == "ENDED" && p.qos == 2 && p.acc > hi) v("publish " + p.seq + " QoS 2 ENDED, reached the broker " + p.acc + " times");
      if (!p.qos && p.acc > 1) v("publish " + p.seq + " QoS 0 reached the broker " + p.acc + " times");
      if (r == "QUEUE_DROPPED" && (p.acc || p.written)) v("publish " + p.seq + " QUEUE_DROPPED but sent");
    }
    for (const r of this.subCalls) if (r.cbs.length != 1) v(r.what + " callback ran " + r.cbs.length + " times");
    // the broker's subscriptions are those the client's calls left, whatever sessions were lost
    if (settled && this.session && !this.subsVoid) {
      const have = this.session.subs;
      for (const f of Object.keys(have).concat(Object.keys(this.want)))
        if (!this.unsure[f] && have[f] !== this.want[f]) v("subscription " + f + " at the broker: " + have[f] + ", the client's calls left " + this.want[f]);
    }
    for (const e of this.endCalls) if (e.cbs != 1) v("end() callback ran " + e.cbs + " times");
    // first arrivals at the broker per QoS, in publish order (the ones that completed)
    for (let q = 0; q < 3; q++) {
      const seen = new Set<number>();
      const order = this.accepted.filter((a) => a.qos == q && !seen.has(a.seq) && seen.add(a.seq) && this.pubs[a.seq].cbs[0] == "ok").map((a) => a.seq);
      for (let i = 1; i < order.length; i++) if (order[i] < order[i - 1]) v("QoS " + q + " publishes reached the broker out of order: " + order);
    }
    // broker -> client: every message routed to the session delivered as its QoS says
    const keys = new Map<string, Commit[]>();
    for (const c of this.commits) keys.set(c.key, (keys.get(c.key) || []).concat(c));
    for (const [key, cs] of keys) {
      const d = this.deliveries.filter((x) => x.key == key);
      const valid = cs.filter((c) => c.epoch == this.epoch);
      const n2 = valid.filter((c) => c.qos == 2).length,
        n1 = valid.filter((c) => c.qos == 1).length,
        anyQos1 = cs.some((c) => c.qos == 1);
      if (d.length < n1 + n2) v("message " + key + " delivered " + d.length + " times, routed at QoS " + cs.map((c) => c.qos + (c.epoch == this.epoch ? "" : "(lost)")));
      // (no QoS 1 copy: each copy at most once, QoS 2 ones exactly once)
      if (!anyQos1 && d.length > cs.length) v("message " + key + " delivered " + d.length + " times, routed " + cs.length + " times at QoS " + cs.map((c) => c.qos));
      for (const x of d) if (!cs.some((c) => c.qos == x.qos)) v("message " + key + " delivered at QoS " + x.qos + ", routed at " + cs.map((c) => c.qos));
    }
    // first deliveries per QoS in the broker's order (messages it routed once, in this session)
    for (let q = 0; q < 3; q++) {
      const want: string[] = [];
      for (const c of this.commits) if (c.qos == q && c.epoch == this.epoch && keys.get(c.key)!.length == 1) want.push(c.key);
      const got: string[] = [];
      for (const d of this.deliveries) if (d.qos == q && want.includes(d.key) && !got.includes(d.key)) got.push(d.key);
      const sub = want.filter((k) => got.includes(k));
      if (sub.join() != got.join()) v("QoS " + q + " messages delivered out of order: " + got + " (routed " + want + ")");
    }
  }
}

/** Run one scenario; returns the violations (empty: all held). */
export function runModel(cfg: Cfg, actions: Action[], avoid: string[] = [], factory?: Factory): { violations: string[]; world: World } {
  return runWorld(new World(Object.assign({}, cfg), factory), actions, avoid);
}

/** Run one scenario on world `w` (made from a copy of its config). */
export function runWorld(w: World, actions: Action[], avoid: string[] = []): { violations: string[]; world: World } {
  w.avoid = avoid;
  w.guard("connect", () => w.c.connect());
  w.subscribe("#", w.cfg.hashQos);
  for (const a of actions) {
    w.step(a);
    if (w.h.timers() > 1) w.violation("more than one timer pending");
    if (w.violations.length) return { violations: w.violations, world: w };
  }
  const ok = w.settle();
  if (!w.violations.length) w.final(ok);
  if (!w.violations.length) w.idle();
  if (!w.violations.length) {
    // and a last end(): DISCONNECT, no timer left
    w.end(false, true);
    if (w.endCalls[w.endCalls.length - 1].cbs != 1) w.violation("final end() callback ran " + w.endCalls[w.endCalls.length - 1].cbs + " times");
  }
  return { violations: w.violations, world: w };
}

// ---- the random runs, shared by the core and class model tests ----

const SEED = 20240611;
const RUNS = 1000;

const body = fc.oneof({ weight: 6, arbitrary: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 12 }) }, { weight: 1, arbitrary: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 120, maxLength: 200 }) });
const chunks = fc.array(fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 5, max: 300 })), { minLength: 1, maxLength: 4 });
const qos = fc.integer({ min: 0, max: 2 });

export const ACTION: fc.Arbitrary<Action> = fc.oneof(
  { weight: 25, arbitrary: fc.record({ t: fc.constant("pub" as const), qos, topic: fc.nat(TOPICS.length - 1), body, retain: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("sub" as const), filter: fc.nat(FILTERS.length - 1), qos }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("unsub" as const), filter: fc.nat(FILTERS.length - 1) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant("inject" as const), qos, topic: fc.nat(TOPICS.length - 1), body }) },
  { weight: 10, arbitrary: fc.record({ t: fc.constant("open" as const) }) },
  { weight: 20, arbitrary: fc.record({ t: fc.constant("net" as const), chunks }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant("read" as const), n: fc.integer({ min: 1, max: 60 }) }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant("recv" as const), n: fc.integer({ min: 1, max: 60 }), chunks }) },
  { weight: 10, arbitrary: fc.record({ t: fc.constant("tick" as const), ms: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 2500 }) }, { weight: 1, arbitrary: fc.integer({ min: 2500, max: 15000 }) }) }) },
  {
    weight: 5,
    arbitrary: fc.record({ t: fc.constant("cut" as const), c2b: fc.nat(80), b2c: fc.nat(80), err: fc.boolean(), recvFirst: fc.boolean(), chunks }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("restart" as const), keep: fc.constant(true) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("restart" as const), keep: fc.constant(false) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("refuse" as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("dialFail" as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("end" as const), force: fc.boolean(), cb: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("connect" as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("skew" as const), ms: fc.integer({ min: -20000, max: 20000 }) }) },
);

export const CFG: fc.Arbitrary<Cfg> = fc.record({
  keepalive: fc.integer({ min: 2, max: 10 }),
  ackTimeout: fc.option(fc.integer({ min: 1000, max: 8000 }), { nil: undefined }),
  window: fc.integer({ min: 1, max: 4 }),
  // mostly bounds nothing reaches; sometimes small ones (the policy is then modelled)
  qLimit: fc.oneof({ weight: 5, arbitrary: fc.constant(1000) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 4 }) }),
  qBytes: fc.oneof({ weight: 5, arbitrary: fc.constant(1e6) }, { weight: 1, arbitrary: fc.integer({ min: 10, max: 300 }) }),
  policy: fc.integer({ min: 0, max: 2 }),
  connectTimeout: fc.integer({ min: 2000, max: 10000 }),
  min: fc.integer({ min: 10, max: 1000 }),
  max: fc.integer({ min: 1000, max: 5000 }),
  jitter: fc.double({ min: 0, max: 1, noNaN: true }),
  random: fc.double({ min: 0, max: 0.999, noNaN: true }),
  throwP: fc.oneof(fc.constant(0), fc.constant(0.1), fc.constant(0.3)),
  seed: fc.nat(),
  hashQos: fc.oneof({ weight: 3, arbitrary: fc.constant(2) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 1 }) }),
  reenter: fc.oneof(fc.constant(0), fc.constant(0.05), fc.constant(0.2)),
});

/**
 * Run the seeded property: `run` plays a config and action sequence against
 * the broker model and returns the violations (WREN_MODEL_SEED / WREN_MODEL_RUNS
 * override seed and runs). Fails with the seed, path and shrunk counterexample.
 */
export function checkModel(run: (c: Cfg, a: Action[]) => { violations: string[]; world: { log: string[] } }): void {
  const seed = Number(process.env.WREN_MODEL_SEED) || SEED;
  const r = fc.check(
    fc.property(CFG, fc.array(ACTION, { maxLength: 80, size: "max" }), (c, a) => {
      const { violations, world } = run(c, a);
      if (violations.length) throw new Error(violations.slice(0, 5).join("\n") + "\nlog tail:\n" + world.log.slice(-25).join("\n"));
    }),
    { seed, numRuns: Number(process.env.WREN_MODEL_RUNS) || RUNS },
  );
  if (r.failed) {
    const [c, a] = r.counterexample!;
    assert.unreachable(
      `seed ${seed}, path ${r.counterexamplePath}, after ${r.numRuns} runs, shrunk ${r.numShrinks} times:\n` +
        JSON.stringify([c, a]) + "\n" + String((r.errorInstance as any)?.message || r.errorInstance),
    );
  }
}
