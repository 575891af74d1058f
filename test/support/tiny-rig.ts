/**
 * The tiny client (src/tiny) on a virtual clock with scripted sockets like
 * Espruino's (binary strings, on/emit; the test fires their events). The
 * timers behave like Espruino's: clearing one that is not pending throws.
 */
import { tinyClient, type TinyOptions } from "../../src/tiny/client";
import { installEmitter } from "../../src/client/emitter";
import { vclock } from "./virtual";

export const CONNACK = "20020000";

/** A socket like Espruino's: binary strings, on/emit; the test fires its events. */
export class FakeSocket {
  out: string[] = [];
  ended = false;
  ev: { [e: string]: ((a?: any) => void)[] } = {};
  constructor(public target: any, public onOpen: () => void) {}
  on(e: string, fn: (a?: any) => void) {
    (this.ev[e] = this.ev[e] || []).push(fn);
  }
  write(s: string) {
    this.out.push(s);
  }
  end() {
    this.ended = true;
  }
  fire(e: string, a?: any) {
    for (const fn of this.ev[e] || []) fn(a);
  }
  data(hexBytes: string) {
    this.fire("data", Buffer.from(hexBytes.replace(/\s/g, ""), "hex").toString("latin1"));
  }
  take(): string[] {
    return this.out.splice(0).map((s) => Buffer.from(s, "latin1").toString("hex"));
  }
}

/**
 * What a client factory (src/tiny, src/core) takes from its host, as on a board:
 * a dial that makes FakeSockets (or throws what `failDial` set), a clock the test
 * advances (the client's now() can be skewed off it: a wall clock set back or
 * forward), Espruino's timers (clearing one that is not pending throws) and a
 * fixed random().
 */
export function espruinoHost(random: number) {
  const clock = vclock();
  const socks: FakeSocket[] = [];
  const live = new Set<unknown>();
  let dialError: Error | null = null;
  let off = 0;
  return {
    clock,
    socks,
    /** the newest socket */
    s: () => socks[socks.length - 1],
    /** make the next dials throw `e` (null: dial again) */
    failDial: (e: Error | null) => void (dialError = e),
    /** timers pending */
    timers: () => live.size,
    /** set the client's clock (its now()) `ms` off the timers' clock */
    skew: (ms: number) => void (off = ms),
    dial: (target: any, onOpen: () => void) => {
      if (dialError) throw dialError;
      const s = new FakeSocket(target, onOpen);
      socks.push(s);
      return s;
    },
    now: () => clock.now() + off,
    setTimer: (fn: () => void, ms: number) => {
      const t = clock.setTimer(() => (live.delete(t), fn()), ms);
      live.add(t);
      return t;
    },
    // Espruino's clearTimeout throws on a timer that already fired, and clears ALL timers when given undefined
    clearTimer: (t: unknown) => {
      if (!live.has(t)) throw new Error("clearTimer of a timer that is not pending");
      live.delete(t);
      clock.clearTimer(t);
    },
    random: () => random,
  };
}

export function tinyRig(opts: Partial<TinyOptions> = {}, random = 0.5) {
  const h = espruinoHost(random);
  const c: any = tinyClient(Object.assign({ host: "h", port: 1883, clientId: "c" }, opts) as TinyOptions, h.dial, h.now, h.setTimer, h.clearTimer, h.random);
  installEmitter(c);
  const events: string[] = [];
  for (const e of ["connect", "close", "offline", "reconnect", "end"]) c.on(e, () => events.push(e));
  c.on("error", (e: any) => events.push("error:" + e.message));
  const msgs: string[] = [];
  c.on("message", (t: string, p: string) => msgs.push(t + "=" + Buffer.from(p, "latin1").toString("hex")));
  return {
    c,
    clock: h.clock,
    socks: h.socks,
    events,
    msgs,
    s: h.s,
    failDial: h.failDial,
    /** open the socket and answer CONNACK */
    up() {
      const s = h.s();
      s.onOpen();
      s.data(CONNACK);
      return s.take();
    },
  };
}
