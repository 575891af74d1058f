/**
 * The core profile's client (src/core) on a virtual clock with scripted
 * sockets like Espruino's (binary strings, on/emit; the test fires their
 * events), as the tiny rig does for src/tiny: the same FakeSocket and clock.
 * The timers behave like Espruino's: clearing one that is not pending throws.
 */
import { coreClient, type CoreOptions } from "../../src/core/client";
import { installEmitter } from "../../src/client/emitter";
import { FakeSocket, espruinoHost } from "./tiny-rig";
import type { vclock } from "./virtual";

export { FakeSocket };
export const CONNACK = "20020000";
export const CONNACK_SP = "20020100";

/** Hex of a string's UTF-8 bytes (Node's encoder: the oracle for the client's own). */
export function utf8hex(s: string): string {
  return Buffer.from(s, "utf8").toString("hex");
}

/** Hex of a binary string (one char per byte). */
export function bhex(s: string): string {
  return Buffer.from(s, "latin1").toString("hex");
}

/** A binary string from hex. */
export function bin(h: string): string {
  return Buffer.from(h.replace(/\s/g, ""), "hex").toString("latin1");
}

/** A variable byte integer [MQTT-1.5.5] as hex. */
export function vbi(n: number): string {
  let s = "";
  do {
    let d = n % 128;
    n = Math.floor(n / 128);
    if (n) d |= 128;
    s += (d < 16 ? "0" : "") + d.toString(16);
  } while (n);
  return s;
}

/** Two bytes big-endian as hex. */
export function h16(n: number): string {
  return ("000" + n.toString(16)).slice(-4);
}

/** An incoming PUBLISH as hex: topic as UTF-8, payload as hex, fixed-header flags. */
export function pubHex(topic: string, payloadHex: string, qos = 0, id = 0, flags = 0): string {
  const t = utf8hex(topic);
  const body = h16(t.length / 2) + t + (qos ? h16(id) : "") + payloadHex;
  return (0x30 | (qos << 1) | flags).toString(16) + vbi(body.length / 2) + body;
}

/** Run `fn`, swallowing what a listener throws (Espruino reports it and goes on). */
export function uncaught(fn: () => void): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

export interface CoreRig {
  c: any;
  clock: ReturnType<typeof vclock>;
  socks: FakeSocket[];
  /** events in order; errors as error:CODE */
  events: string[];
  errors: any[];
  /** messages as topic=payloadhex */
  msgs: string[];
  /** the message events' packets */
  pkts: any[];
  /** connect events' first argument */
  connacks: any[];
  /** the newest socket */
  s(): FakeSocket;
  /** make the next dials throw `e` (null: dial again) */
  failDial(e: Error | null): void;
  /** timers pending */
  timers(): number;
  /** set the client's clock (its now()) `ms` off the timers' clock: a wall clock set back or forward */
  skew(ms: number): void;
  /** open the newest socket; returns its writes (the CONNECT) as hex */
  open(): string[];
  /** open the newest socket and answer CONNACK (session present `sp`); returns the writes after the CONNECT */
  up(sp?: boolean): string[];
}

export function coreRig(opts: Partial<CoreOptions> = {}, random = 0.5): CoreRig {
  const h = espruinoHost(random);
  const c: any = coreClient(Object.assign({ host: "h", port: 1883, clientId: "c" }, opts) as CoreOptions, h.dial, h.now, h.setTimer, h.clearTimer, h.random);
  installEmitter(c);
  const events: string[] = [];
  const errors: any[] = [];
  const msgs: string[] = [];
  const pkts: any[] = [];
  const connacks: any[] = [];
  for (const e of ["close", "offline", "reconnect", "end"]) c.on(e, () => events.push(e));
  c.on("connect", (a: any) => (events.push("connect"), connacks.push(a)));
  c.on("error", (e: any) => (events.push("error:" + e.code), errors.push(e)));
  c.on("message", (t: string, p: string, m: any) => (msgs.push(t + "=" + bhex(p)), pkts.push(m)));
  const r: CoreRig = {
    c,
    clock: h.clock,
    socks: h.socks,
    events,
    errors,
    msgs,
    pkts,
    connacks,
    s: h.s,
    failDial: h.failDial,
    timers: h.timers,
    skew: h.skew,
    open() {
      const s = h.s();
      s.onOpen();
      return s.take();
    },
    up(sp = false) {
      const s = h.s();
      s.onOpen();
      s.take();
      s.data(sp ? CONNACK_SP : CONNACK);
      return s.take();
    },
  };
  return r;
}

/** `r` connected: CONNECT and CONNACK done, events cleared. */
export function connected(r: CoreRig): CoreRig {
  r.c.connect();
  r.up();
  r.events.length = 0;
  return r;
}

/** A connected rig that redials 10 ms after a loss, without jitter (CONNECT and CONNACK done, events cleared). */
export function connRig(opts: any = {}, random = 0.5): CoreRig {
  return connected(coreRig(Object.assign({ reconnect: { min: 10, jitter: 0 } }, opts), random));
}

/** A rig whose socket is open, its CONNECT written (and taken), no CONNACK yet. */
export function openRig(opts: any = {}): CoreRig {
  const r = coreRig(opts);
  r.c.connect();
  r.open();
  return r;
}

/** Advance one ms at a time until a new socket is dialled; returns the ms waited (fails after `limit`). */
export function untilDial(r: { socks: unknown[]; clock: { now(): number; advance(ms: number): void } }, limit = 1e6): number {
  const n = r.socks.length,
    t = r.clock.now();
  while (r.socks.length == n) {
    if (r.clock.now() - t > limit) throw new Error("no dial within " + limit + " ms");
    r.clock.advance(1);
  }
  return r.clock.now() - t;
}

/** Drop the connection and reconnect after the backoff; returns the writes after CONNECT + CONNACK (session present `sp`). */
export function bounce(r: CoreRig, sp: boolean): string[] {
  const n = r.socks.length;
  r.s().fire("close");
  while (r.socks.length == n) r.clock.advance(1);
  return r.up(sp);
}
