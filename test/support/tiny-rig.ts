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

export function tinyRig(opts: Partial<TinyOptions> = {}, random = 0.5) {
  const clock = vclock();
  const socks: FakeSocket[] = [];
  let dialError: Error | null = null;
  const live = new Set<unknown>();
  const c: any = tinyClient(
    Object.assign({ host: "h", port: 1883, clientId: "c" }, opts) as TinyOptions,
    (target, onOpen) => {
      if (dialError) throw dialError;
      const s = new FakeSocket(target, onOpen);
      socks.push(s);
      return s;
    },
    clock.now,
    (fn, ms) => {
      const t = clock.setTimer(() => (live.delete(t), fn()), ms);
      live.add(t);
      return t;
    },
    // Espruino's clearTimeout throws on a timer that already fired, and clears ALL timers when given undefined
    (t) => {
      if (!live.has(t)) throw new Error("clearTimer of a timer that is not pending");
      live.delete(t);
      clock.clearTimer(t);
    },
    () => random,
  );
  installEmitter(c);
  const events: string[] = [];
  for (const e of ["connect", "close", "offline", "reconnect", "end"]) c.on(e, () => events.push(e));
  c.on("error", (e: any) => events.push("error:" + e.message));
  const msgs: string[] = [];
  c.on("message", (t: string, p: string) => msgs.push(t + "=" + Buffer.from(p, "latin1").toString("hex")));
  return {
    c,
    clock,
    socks,
    events,
    msgs,
    s: () => socks[socks.length - 1],
    failDial: (e: Error | null) => (dialError = e),
    /** open the socket and answer CONNACK */
    up() {
      const s = socks[socks.length - 1];
      s.onOpen();
      s.data(CONNACK);
      return s.take();
    },
  };
}
