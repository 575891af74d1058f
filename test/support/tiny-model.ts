/**
 * A model-based rig for the tiny profile's client (src/tiny/client.ts): the
 * broker model, the wire parser and the Espruino-like host of
 * test/support/core-model.ts (World), with the client-side expectations of
 * the tiny client (QoS 0 only, clean sessions, ASCII strings, subscribe and
 * unsubscribe without callbacks, OFFLINE when not connected). After the
 * actions the network settles and these hold:
 *
 * - every publish reports once, within its call: ok only when written (once)
 *   on the live connection, OFFLINE when not connected, BAD_TOPIC for a topic
 *   that is empty, not ASCII or holds a wildcard (the callback, or an `error`
 *   event without one);
 * - subscribe / unsubscribe: a call with a bad filter throws (BAD_FILTER,
 *   BAD_STRING) and changes nothing; connected, a call writes one packet with
 *   its filters; the broker's subscriptions, settled and again after a broker
 *   restart and reconnect, are those the calls left (the refused "c/+/e" apart);
 * - broker -> client: the messages are exactly the broker's PUBLISHes on the
 *   live connection, in order, once each, topic as UTF-8 bytes; after a chunk
 *   (in which no listener threw) every whole one has been delivered;
 * - no PING_TIMEOUT when the broker answered the PINGREQ; idle and connected,
 *   the client sends within 1.5 keepalives by the timers [MQTT-3.1.2-24];
 * - every write parses as MQTT 3.1.1 (decodeAnyPacket): CONNECT (clean, id,
 *   keepalive) first and once, PUBLISH QoS 0 without DUP, nothing after
 *   DISCONNECT, nothing before open or after end();
 * - at most one timer pending, none after end(); nothing thrown out of the
 *   client but the test's own listeners' errors.
 */
import { tinyClient } from "../../src/tiny/client";
import { World, ListenerError, type Action as CoreAction, type Cfg as CoreCfg } from "./core-model";

/** Topics to publish to: ASCII ones, and bad ones (empty, wildcards, not ASCII: BAD_TOPIC). */
export const TTOPICS = ["a", "a/b", "b", "c/d/e", "x y", "123", "a/+", "#", "", "\u00e9/x", "\u20ac"];
/** Topics the broker sends (its own publishers may use any UTF-8). */
export const ITOPICS = ["a", "a/b", "b", "c/d/e", "x y", "123", "\u00e9/x", "\u20ac"];
/** Filters: valid ASCII ones ("c/+/e" refused by the broker), invalid ones, a non-ASCII one. */
export const TFILTERS = ["#", "a/+", "b/#", "+", "c/+/e", "x y", "123", "+/+", "__proto__", "a/#/b", "a+", "", "\u00e9/x"];
const REFUSED = ["c/+/e"];

export interface TinyCfg {
  keepalive: number;
  min: number;
  max: number;
  random: number;
  throwP: number;
  seed: number;
  reenter: number;
}

export type TinyAction =
  | { t: "pub"; topic: number; body: number[]; retain: boolean; form: number }
  | { t: "sub"; filters: number[]; arr: boolean }
  | { t: "unsub"; filters: number[]; arr: boolean }
  | { t: "end"; force: boolean }
  | Exclude<CoreAction, { t: "pub" | "sub" | "unsub" | "end" }>;

const F = String.fromCharCode;
const hex = (s: string) => Buffer.from(s, "latin1").toString("hex");
const utf8 = (s: string) => Buffer.from(s, "utf8").toString("latin1");

/** A topic filter as MQTT 3.1.1 has it [MQTT-4.7.1-2/3]: not empty, no U+0000, "+" and "#" whole levels, "#" last. */
export function validFilter(f: string): boolean {
  if (!f || f.indexOf("\0") >= 0) return false;
  const l = f.split("/");
  return l.every((x, i) => (x.indexOf("+") < 0 && x.indexOf("#") < 0) || x == "+" || (x == "#" && i == l.length - 1));
}
const ascii = (s: string) => !/[^\0-\x7f]/.test(s);

interface TPub {
  seq: number;
  qos: 0;
  topic: string;
  payload: string;
  retain: boolean;
  n: number;
  cbs: string[];
  written: number;
  acc: number;
  relaxed: number;
  /** what the call must report: ok, OFFLINE, BAD_TOPIC ("OFFLINE|BAD_TOPIC": either) */
  expect: string;
}

/** What the rig keeps per connection beyond core-model's Conn. */
interface Extra {
  /** the broker's PUBLISHes on it, in order, with their ends in its byte stream */
  pubs: { end: number; topic: string; payload: string }[];
  /** how many of them the client delivered */
  got: number;
  /** a listener threw in the last chunk: the client may hold the rest of it until the next chunk */
  lag: boolean;
  /** broker packets counted whole at the client */
  whole: number;
  /** a PINGREQ was written and no broker packet arrived whole since */
  pingOpen: boolean;
  pingAnswered: boolean;
}

export class TinyWorld extends World {
  declare pubs: any[];
  up = false;
  tcfg: TinyCfg;
  /** the subscriptions the calls left */
  // (no prototype: "__proto__" is a filter like any other)
  override want: { [f: string]: number } = Object.create(null);
  everRefused = false;
  /** filters whose state the avoided defects leave unknown: not compared */
  unsureF: { [f: string]: 1 } = Object.create(null);
  /** publishes without a callback in progress (innermost last): their errors come as events */
  noCb: (TPub | null)[] = [];
  extra = new Map<any, Extra>();

  constructor(cfg: TinyCfg) {
    const core: CoreCfg = { keepalive: cfg.keepalive, window: 1, qLimit: 1, qBytes: 1, policy: 0, connectTimeout: 3e4, min: cfg.min, max: cfg.max, jitter: 1, random: cfg.random, throwP: cfg.throwP, seed: cfg.seed, hashQos: 0, reenter: cfg.reenter };
    super(core, ((o: any, dial: any, now: any, setTimer: any, clearTimer: any, random: any) =>
      tinyClient({ host: "h", port: 1883, clientId: "c", keepalive: o.keepalive, reconnect: { min: o.reconnect.min, max: o.reconnect.max } }, dial, now, setTimer, clearTimer, random)) as any);
    this.tcfg = cfg;
  }

  x(cn: any): Extra {
    let e = this.extra.get(cn);
    if (!e) this.extra.set(cn, (e = { pubs: [], got: 0, lag: false, whole: 0, pingOpen: false, pingAnswered: false }));
    return e;
  }

  override listen() {
    const c = this.c;
    c.on("message", (t: string, p: string) => {
      this.onMessageT(t, p);
      this.maybeThrow("message");
    });
    c.on("connect", () => {
      this.up = true;
      const cn = this.live();
      if (!cn || cn.bs != 1) this.violation("connect event without a CONNACK on the live connection");
      this.maybeThrow("connect");
    });
    c.on("error", (e: any) => {
      this.log.push("error " + e.code);
      const code = e && e.code;
      if (code == "OFFLINE" || code == "BAD_TOPIC") {
        const pub = this.noCb[this.noCb.length - 1];
        if (!pub) this.violation("error event " + code + " outside a publish without callback");
        else this.pubDoneT(pub, e);
      } else if (code == "SUBACK_FAILED") {
        if (!this.everRefused) this.violation("SUBACK_FAILED, no refused filter subscribed");
      } else if (/^(NET|PING_TIMEOUT|CONNECT_TIMEOUT|CONNACK_REFUSED)$/.test(code)) {
        this.up = false;
        if (code == "PING_TIMEOUT") {
          const cn = this.conns[this.conns.length - 1];
          if (cn && this.x(cn).pingAnswered) this.violation("PING_TIMEOUT though the broker's answer reached the client");
        }
      } else this.violation("error event " + code + " " + e.message);
      this.maybeThrow("error");
    });
    c.on("close", () => {
      this.up = false;
      this.maybeThrow("close");
    });
    for (const ev of ["offline", "reconnect"]) c.on(ev, () => this.maybeThrow(ev));
    c.on("end", () => {
      this.up = false;
      this.maybeThrow("end");
    });
  }

  /** A listener: it may call the client (publish, subscribe, unsubscribe, end, end + connect), then it may throw. */
  override maybeThrow(where: string) {
    if (this.rng() < this.cfg.reenter && this.depth < 3) {
      const r = this.rng(),
        k = Math.floor(this.rng() * 1e6);
      this.depth++;
      this.log.push("  (" + where + " listener calls the client: " + r.toFixed(2) + ")");
      if (r < 0.5) this.publishT(TTOPICS[k % TTOPICS.length], [k & 255, (k >> 8) & 255], !!(k & 1), k % 3);
      else if (r < 0.65) this.subscribeT([TFILTERS[k % TFILTERS.length]], !!(k & 1));
      else if (r < 0.75) this.unsubscribeT([TFILTERS[k % TFILTERS.length]], !!(k & 1));
      else {
        this.end(!!(k & 1));
        if (r > 0.9) this.connect();
      }
      this.depth--;
    }
    if (this.rng() < this.cfg.throwP) throw new ListenerError("listener " + where);
  }

  // ---------------------------------------------------------------- the wire

  override checkOut(cn: any, p: any, raw: string) {
    const t = p.type;
    if (![1, 3, 8, 10, 12, 14].includes(t)) return this.violation("client wrote packet type " + t);
    if (cn.sawDisconnect) this.violation("packet after DISCONNECT: " + hex(raw));
    if (!cn.sawConnect && t != 1) this.violation("first packet not CONNECT [MQTT-3.1.0-1]: " + hex(raw));
    if (t == 1) {
      if (cn.sawConnect) this.violation("second CONNECT [MQTT-3.1.0-2]");
      cn.sawConnect = true;
      if (!p.clean || p.clientId != "c" || p.keepalive != this.cfg.keepalive || p.username != null || p.password != null) this.violation("CONNECT fields " + JSON.stringify(p));
      return;
    }
    if (t == 14) return void (cn.sawDisconnect = true);
    if (t == 12) {
      const e = this.x(cn);
      e.pingOpen = true;
      e.pingAnswered = false;
      return;
    }
    if (t == 3) {
      const pl = Buffer.from(p.payload).toString("latin1");
      const seq = pl.charCodeAt(1) * 256 + pl.charCodeAt(2);
      const pub: TPub | undefined = pl[0] == "c" ? this.pubs[seq] : undefined;
      if (!pub) return this.violation("PUBLISH of no publish: " + hex(raw));
      if (p.topic !== pub.topic || pl !== pub.payload || p.qos !== 0 || p.retain !== pub.retain || p.dup)
        this.violation("PUBLISH " + seq + " fields differ: " + JSON.stringify([p.topic, p.qos, p.retain, p.dup]) + " vs " + JSON.stringify([pub.topic, 0, pub.retain]));
      if (pub.cbs.length) this.violation("PUBLISH " + seq + " written after it reported " + pub.cbs);
      if (pub.written++) this.violation("PUBLISH " + seq + " written twice");
      if (pub.expect != "ok") this.violation("PUBLISH " + seq + " written, expected " + pub.expect);
      return;
    }
    // SUBSCRIBE: QoS 0 only
    if (t == 8 && p.subscriptions.some((s: any) => s.qos !== 0)) this.violation("SUBSCRIBE above QoS 0: " + hex(raw));
    if (!p.messageId) this.violation("packet id 0 [MQTT-2.3.1-1]");
  }

  override newSession(): any {
    const s: any = super.newSession();
    s.subs = Object.create(null);
    return s;
  }

  override serve(cn: any, p: any) {
    // a clean session [MQTT-3.1.2-6]: the old session goes, its connection too [MQTT-3.1.4-2]
    if (cn.bs == 0 && p.type == 1 && p.clean && !this.refuseNext) {
      const s = this.session;
      if (s && s.conn && s.conn != cn) this.closeConn(s.conn);
      this.session = null;
    }
    super.serve(cn, p);
  }

  override bwrite(cn: any, raw: string, type: number, id = 0) {
    const n = cn.bPkts.length;
    super.bwrite(cn, raw, type, id);
    if (type != 3 || cn.bPkts.length == n) return;
    let j = 1;
    while (raw.charCodeAt(j++) & 128);
    const tl = raw.charCodeAt(j) * 256 + raw.charCodeAt(j + 1);
    this.x(cn).pubs.push({ end: cn.bw.length, topic: raw.substr(j + 2, tl), payload: raw.substr(j + 2 + tl) });
  }

  override fireData(cn: any, d: string) {
    const o = this.inData;
    this.inData = cn.s.ended ? null : cn;
    const e = this.guard("socket data", () => cn.s.fire("data", d));
    this.x(cn).lag = !!e;
    this.inData = o;
  }

  override processed(cn: any, live: boolean, tentative?: boolean) {
    if (tentative) return;
    const e = this.x(cn);
    for (; e.whole < cn.bPkts.length && cn.bPkts[e.whole].end <= cn.bDeliv; e.whole++) if (live && e.pingOpen) (e.pingOpen = false), (e.pingAnswered = true);
    if (!live || cn.s.ended || e.lag) return;
    let n = 0;
    while (n < e.pubs.length && e.pubs[n].end <= cn.bDeliv) n++;
    if (e.got != n) this.violation("connection " + cn.n + ": " + e.got + " messages delivered, " + n + " whole PUBLISHes received (a chunk handled, no listener threw)");
  }

  onMessageT(t: string, p: string) {
    const cn = this.inData;
    if (!cn) return this.violation("message outside a data event of the live socket: " + JSON.stringify([t, hex(p)]));
    const e = this.x(cn),
      want = e.pubs[e.got];
    if (!want || want.end > cn.bDeliv) return this.violation("message the broker did not send (or not whole): " + JSON.stringify([t, hex(p)]));
    e.got++;
    if (t !== want.topic || p !== want.payload) this.violation("message differs: " + JSON.stringify([hex(t), hex(p), hex(want.topic), hex(want.payload)]));
  }

  // ---------------------------------------------------------------- actions

  publishT(topic: string, body: number[], retain: boolean, form: number) {
    const seq = this.pubs.length;
    const payload = "c" + F(seq >> 8, seq & 255) + F(...body);
    const bad = !topic || !/^[\x01-\x7f]*$/.test(topic) || /[+#]/.test(topic);
    const pub: TPub = { seq, qos: 0, topic, payload, retain, n: 0, cbs: [], written: 0, acc: 0, relaxed: 0, expect: !this.up ? (bad ? "OFFLINE|BAD_TOPIC" : "OFFLINE") : bad ? "BAD_TOPIC" : "ok" };
    this.pubs.push(pub);
    const cb = (err: any) => {
      this.pubDoneT(pub, err);
      this.maybeThrow("publish callback");
    };
    // forms: (t, p, cb) without retain, (t, p, {retain}, cb), (t, p, {retain}) without a callback
    if (form == 0) retain = pub.retain = false;
    this.noCb.push(form == 2 ? pub : null);
    this.guard("publish", () => (form == 0 ? this.c.publish(topic, payload, cb) : form == 1 ? this.c.publish(topic, payload, { retain }, cb) : this.c.publish(topic, payload, { retain })));
    this.noCb.pop();
    if (form == 2 && !pub.cbs.length && pub.written) pub.cbs.push("ok");
    if (pub.cbs.length != 1) this.violation("publish " + seq + " reported " + pub.cbs.length + " times in its call (" + pub.cbs + "), expected " + pub.expect);
  }

  pubDoneT(pub: TPub, err: any) {
    const code = err ? err.code || "?" : "ok";
    pub.cbs.push(code);
    if (pub.cbs.length > 1) this.violation("publish " + pub.seq + " reported again: " + pub.cbs);
    if (pub.expect.split("|").indexOf(code) < 0) this.violation("publish " + pub.seq + " to " + JSON.stringify(pub.topic) + " reported " + code + ", expected " + pub.expect);
    if (code == "ok" && pub.written != 1) this.violation("publish " + pub.seq + " ok, written " + pub.written + " times");
    if (code != "ok" && pub.written) this.violation("publish " + pub.seq + " " + code + " but written");
  }

  written(type: number): any[] {
    const out: any[] = [];
    for (const cn of this.conns) for (const e of cn.cPkts) if (e.p.type == type) out.push(e.p);
    return out;
  }

  subscribeT(fs: string[], arr: boolean) {
    this.sub(true, fs, arr);
  }

  unsubscribeT(fs: string[], arr: boolean) {
    this.sub(false, fs, arr);
  }

  sub(on: boolean, fs: string[], arr: boolean) {
    if (!arr) fs = fs.slice(0, 1);
    if (!fs.length && !arr) return;
    const what = (on ? "subscribe" : "unsubscribe") + "(" + JSON.stringify(arr ? fs : fs[0]) + ")";
    let expect = "";
    for (const f of fs)
      if (on && !validFilter(f)) {
        expect = "BAD_FILTER";
        break;
      } else if (!ascii(f)) {
        expect = "BAD_STRING";
        break;
      }
    const type = on ? 8 : 10,
      n0 = this.written(type).length,
      up = this.up;
    let got = "";
    try {
      on ? this.c.subscribe(arr ? fs : fs[0]) : this.c.unsubscribe(arr ? fs : fs[0]);
    } catch (e: any) {
      if (e instanceof ListenerError || !e || !e.code) this.violation(what + " threw " + (e && e.stack));
      got = (e && e.code) || String(e);
    }
    if (got != expect) this.violation(what + " threw " + (got || "nothing") + ", expected " + (expect || "nothing"));
    const w = this.written(type).slice(n0);
    const sent = (p: any) => (on ? p.subscriptions.map((s: any) => s.topic) : p.unsubscriptions);
    if (expect || !up || !fs.length) {
      if (w.length) this.violation(what + " wrote " + w.length + " packets (" + (expect || (up ? "no filter" : "not connected")) + ")");
    } else if (w.length != 1 || JSON.stringify(sent(w[0])) != JSON.stringify(fs)) this.violation(what + " wrote " + JSON.stringify(w.map(sent)));
    if (expect) {
      // (known, "unsubpartial": an unsubscribe that throws BAD_STRING has forgotten the filters before the bad one)
      if (!on && this.avoid.includes("unsubpartial")) for (const f of fs) if (ascii(f)) this.unsureF[f] = 1; else break;
      return;
    }
    for (const f of fs)
      if (on) {
        // (known, "proto": the client keeps its filters in a plain object, where "__proto__" does not stick)
        if (f == "__proto__" && this.avoid.includes("proto")) continue;
        this.want[f] = 0;
        if (REFUSED.includes(f)) this.everRefused = true;
      } else delete this.want[f];
  }

  override end(force: boolean) {
    this.endCount++;
    this.stopped = true;
    this.inEnd++;
    this.guard("end", () => this.c.end(force));
    this.inEnd--;
    // (a listener within end() may have called connect())
    if (this.stopped && this.h.timers()) this.violation("a timer pending after end()");
  }

  override connect() {
    this.stopped = false;
    this.guard("connect", () => this.c.connect());
  }

  override step(a: any) {
    switch (a.t) {
      case "pub":
        this.log.push(JSON.stringify(a));
        return this.publishT(TTOPICS[a.topic], a.body, a.retain, a.form);
      case "sub":
      case "unsub":
        this.log.push(JSON.stringify(a));
        return this.sub(a.t == "sub", a.filters.map((i: number) => TFILTERS[i]), a.arr);
      case "inject":
        this.log.push(JSON.stringify(a));
        return this.inject(0, ITOPICS[a.topic % ITOPICS.length], a.body);
      case "end":
        this.log.push(JSON.stringify(a));
        return this.end(a.force);
      case "skew": {
        // (known, "skewconnack": the wall clock set back between CONNECT and CONNACK delays the first PINGREQ)
        const cn = this.live();
        if (this.avoid.includes("skewconnack") && cn && cn.sawConnect && !this.up) return void this.log.push("(skew skipped) " + JSON.stringify(a));
        return super.step(a);
      }
      default:
        return super.step(a);
    }
  }

  override quiet(): boolean {
    const cn = this.live();
    const s = this.session;
    return (
      !!cn &&
      this.up &&
      cn.bs == 1 &&
      !!s &&
      s.conn == cn &&
      this.conns.every((c) => c.closedEv || (c.cRead == c.cw.length && c.bDeliv == c.bw.length)) &&
      this.x(cn).got == this.x(cn).pubs.length
    );
  }

  override idle() {
    const cn = this.live()!,
      ka = this.cfg.keepalive * 1000;
    const n = cn.cPkts.length;
    // (from the broker's last read, not from now: a wait that began before settling counts)
    for (let t = 0; t < 4 * ka; t += 100) {
      this.h.clock.advance(100);
      this.read(1 << 30);
      this.recv(1 << 30, [64]);
      if (this.live() != cn || !this.up) return this.violation("idle and answered, the client dropped the connection");
      if (this.h.clock.now() - cn.lastRx > 1.5 * ka) return this.violation("idle: nothing sent for " + (this.h.clock.now() - cn.lastRx) + " ms, keepalive " + ka);
    }
    if (cn.cPkts.length - n < 3) this.violation("idle: " + (cn.cPkts.length - n) + " packets in 4 keepalives");
  }

  /** The broker's subscriptions are those the calls left (the refused filters apart). */
  checkSubs(when: string) {
    const skip = (f: string) => REFUSED.includes(f) || this.unsureF[f] || (f == "__proto__" && this.avoid.includes("proto"));
    const have = Object.keys(this.session ? this.session.subs : {})
      .filter((f) => !skip(f))
      .sort();
    const want = Object.keys(this.want)
      .filter((f) => !skip(f))
      .sort();
    if (JSON.stringify(have) != JSON.stringify(want)) this.violation("subscriptions at the broker " + when + ": " + JSON.stringify(have) + ", the calls left " + JSON.stringify(want));
  }

  finalT(settled: boolean) {
    if (!settled) return this.violation("did not settle: " + JSON.stringify({ up: this.up, conns: this.progress(), timers: this.h.timers() }));
    for (const p of this.pubs) if (p.cbs.length != 1) this.violation("publish " + p.seq + " reported " + p.cbs.length + " times");
    this.checkSubs("settled");
  }
}

/** Run one scenario; returns the violations (empty: all held). */
export function runTiny(cfg: TinyCfg, actions: TinyAction[], avoid: string[] = []): { violations: string[]; world: TinyWorld } {
  const w = new TinyWorld(Object.assign({}, cfg));
  w.avoid = avoid;
  w.connect();
  w.subscribeT(["#"], false);
  for (const a of actions) {
    w.step(a);
    if (w.h.timers() > 1) w.violation("more than one timer pending");
    if (w.violations.length) return { violations: w.violations, world: w };
  }
  const done = () => !!w.violations.length;
  w.finalT(w.settle());
  if (!done()) w.idle();
  if (!done()) {
    // the broker restarts: the client connects again and subscribes what its calls left
    w.log.push("(final restart)");
    w.restart(false);
    const ok = w.settle();
    if (!ok) w.violation("did not settle after the final restart");
    else w.checkSubs("after a reconnect");
  }
  if (!done()) {
    // end(): DISCONNECT last, no timer left
    const cn = w.live()!;
    w.end(false);
    if (!cn.sawDisconnect && cn.cw.length == cn.cParsed) w.violation("end() wrote no DISCONNECT");
    if (w.h.timers()) w.violation("timer pending after the final end()");
  }
  return { violations: w.violations, world: w };
}
