/**
 * The core model (test/support/core-model.ts) run against the CLASS client
 * (src/client/client.ts, MQTT 3.1.1: protocolVersion 4), as the `full`
 * bundles run it on Espruino: its HAL here is the Espruino HAL's shape over
 * the model's fake sockets (binary strings):
 * - transport: src/hal/espruino/transport.ts espruinoConnect, line for line:
 *   `data` converted to a Uint8Array (a copy, like E.toUint8Array), nothing
 *   after destroy(); `error` then `close` folded into one onClose(NET error);
 *   a dial that throws closes from a 0 ms timeout (never inside connect());
 *   write(Uint8Array) sends the binary string (a copy, like E.toString);
 *   destroy() is end() (Espruino has no abortive close);
 * - clock: the model's skewable now() (the tests of the class client set the
 *   wall clock back under it) from a Date.now()-like base (the model's clock
 *   starts at 0, and a skew would take it below 0, which no clock gives:
 *   -1 is the client's "no deadline"), Espruino's setTimeout (0 ms allowed) and a
 *   clearTimer that skips a falsy handle and swallows "Unknown Timeout", as
 *   src/hal/espruino/clock.ts does;
 * - events: installEmitter on the instance (core-model's World does it).
 *
 * API differences, and only those, are adapted: publishes are given as
 * Uint8Array (a string would go as UTF-8), messages arrive as Uint8Array
 * (converted back for the model's checks), and the `drop` event is checked:
 * every QUEUE_DROPPED callback has exactly one `drop` event for the same
 * packet, and no other publish has one. `ping`, `pingresp` and `drop`
 * listeners may throw and call the client like the others.
 *
 * Known defects to steer clear of (`avoid`; each has its example test in
 * test/client-class-model.test.ts): "dropev": a QUEUE_DROPPED callback that
 * throws may go without its `drop` event; "connend": a `connect` event that
 * comes after end() (or a drop) within the CONNACK's handling is not passed on;
 * "skew": after the clock was set forward, the first keepalive wait when idle
 * is not checked (a set back stays checked).
 */
import { Client } from "../../src/client/client";
import { wrenError } from "../../src/errors";
import type { Connection, Hal, Target, TransportHandler } from "../../src/hal/hal";
import { ListenerError, World, runWorld, type Action, type Cfg, type Factory } from "./core-model";

/** A wall clock's time at the model's 0 (2023-11-14) */
const BASE = 1_700_000_000_000;
const str = (b: Uint8Array) => Buffer.from(b).toString("latin1");
const u8 = (s: string) => new Uint8Array(Buffer.from(s, "latin1"));

/** The class client on an Espruino-shaped HAL over the model's host (see the file comment). */
export const classFactory: Factory = (o, dial, now, setTimer, clearTimer, random, host) => {
  const connect = (t: Target, h: TransportHandler): Connection => {
    let s: any, err: Error | undefined, dead = 0;
    const close = () => h.onClose(err);
    const fail = (e: any) => void (err = wrenError("NET", e && e.message));
    const end = () => void (s && s.end());
    try {
      s = dial(t, h.onOpen.bind(h));
      s.on("data", (d: string) => {
        if (!dead) h.onData(u8(d));
      });
      s.on("error", fail);
      s.on("close", close);
    } catch (e) {
      fail(e);
      // (Espruino's setTimeout: the host's clock, not one of the client's timers; what a
      // listener throws from it Espruino prints, anything else fails the run)
      host.clock.setTimer(() => {
        try {
          close();
        } catch (e) {
          if (!(e instanceof ListenerError)) throw e;
        }
      }, 0);
    }
    return {
      write: (b: Uint8Array) => void (s && s.write(str(b))),
      end,
      destroy: () => ((dead = 1), end()),
    };
  };
  const hal: Hal = {
    transport: { connect },
    clock: {
      now: () => BASE + now(),
      setTimer,
      clearTimer: (t: unknown) => {
        try {
          if (t) clearTimer(t);
        } catch (e) {}
      },
    },
    random,
  };
  return new Client(Object.assign({ protocolVersion: 4 }, o) as any, hal);
};

export class ClassWorld extends World {
  declare drops: { [seq: number]: number };
  /** publishes whose QUEUE_DROPPED callback threw */
  declare threw: { [seq: number]: 1 };
  declare done: { seq: number; code: string } | null;
  /** the wall clock's offset now (skew) */
  declare off: number;

  constructor(cfg: Cfg) {
    super(cfg, classFactory);
    this.minTimer = 0;
    this.drops = {};
    this.threw = {};
    this.done = null;
    this.off = 0;
    const c = this.c;
    c.on("drop", (p: any, e: any) => {
      const pl = p && p.payload instanceof Uint8Array ? str(p.payload) : "";
      const seq = pl.charCodeAt(1) * 256 + pl.charCodeAt(2);
      const pub = pl[0] == "c" ? this.pubs[seq] : undefined;
      if (!pub) this.violation("drop event of no publish: " + JSON.stringify(p));
      else {
        this.drops[seq] = (this.drops[seq] || 0) + 1;
        if (!e || e.code != "QUEUE_DROPPED") this.violation("drop event of publish " + seq + " with " + (e && e.code));
        if (p.topic !== pub.topic || p.qos !== pub.qos) this.violation("drop event of publish " + seq + " fields differ");
      }
      this.maybeThrow("drop");
    });
    for (const ev of ["ping", "pingresp"]) c.on(ev, () => this.maybeThrow(ev));
    // (known, "connend": a 'connect' event after end() or a drop within the CONNACK's
    // handling, from a queued publish's callback: not passed on)
    const emit = c.emit,
      self = this;
    c.emit = function (ev: string) {
      if (ev == "connect" && !c.connected && self.avoid.includes("connend")) return false;
      return emit.apply(this, arguments as any);
    };
  }

  override pubDone(pub: any, err: any) {
    this.done = { seq: pub.seq, code: err ? err.code : "ok" };
    super.pubDone(pub, err);
  }

  override maybeThrow(where: string) {
    const d = this.done;
    this.done = null;
    try {
      super.maybeThrow(where);
    } catch (e) {
      if (where == "publish callback" && d && d.code == "QUEUE_DROPPED") this.threw[d.seq] = 1;
      throw e;
    }
  }

  override step(a: Action) {
    const was = this.skewed;
    super.step(a);
    // ("skew" in `avoid` relaxes the first keepalive wait after a jump: here only a jump
    // forward, the known defect; the clock set back stays checked)
    if (a.t == "skew") {
      if (a.ms <= this.off) this.skewed = was;
      this.off = a.ms;
    }
  }

  override outPayload(p: string): Uint8Array {
    return u8(p);
  }

  override onMessage(t: string, p: any, m: any) {
    if (!(p instanceof Uint8Array)) return this.violation("message payload not a Uint8Array: " + typeof p);
    if (!m || m.payload !== p) this.violation("message packet's payload is not the payload given");
    const s = str(p);
    super.onMessage(t, s, m && Object.assign({}, m, { payload: s }));
  }

  override final(settled: boolean) {
    super.final(settled);
    // the drop event: one per QUEUE_DROPPED, never silent
    for (const p of this.pubs) {
      const n = this.drops[p.seq] || 0;
      // (known, "dropev": no drop event when the QUEUE_DROPPED callback threw)
      if (n != (p.cbs[0] == "QUEUE_DROPPED" ? 1 : 0) && !(n == 0 && this.threw[p.seq] && this.avoid.includes("dropev"))) this.violation("publish " + p.seq + " (" + p.cbs + "): " + n + " drop events");
    }
  }
}

/** Run one scenario against the class client; returns the violations (empty: all held). */
export function runClassModel(cfg: Cfg, actions: Action[], avoid: string[] = []): { violations: string[]; world: World } {
  return runWorld(new ClassWorld(Object.assign({}, cfg)), actions, avoid);
}
