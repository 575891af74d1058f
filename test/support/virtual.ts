/**
 * A minimal virtual clock and scripted in-memory transport for the client's
 * unit tests: nothing happens until the test says so (open, send, close,
 * advance), so every byte and every millisecond is asserted exactly.
 */
import type { Clock, Connection, Hal, Link, Target, TransportHandler } from "../../src/hal/hal";
import { Client, installEmitter, type ClientOptions } from "../../src/client/index";

installEmitter(Client.prototype);

export interface VConn extends Connection {
  target: Target;
  h: TransportHandler;
  /** every write, copied */
  out: Uint8Array[];
  ended: boolean;
  destroyed: boolean;
}

export interface VClock extends Clock {
  /** move time forward, running due timers in order */
  advance(ms: number): void;
  /** pending timers */
  pending(): number;
}

export function vclock(): VClock {
  var t = 0,
    seq = 0,
    timers: { due: number; seq: number; fn: () => void }[] = [];
  return {
    now: () => t,
    setTimer(fn, ms) {
      var x = { due: t + ms, seq: seq++, fn };
      timers.push(x);
      return x;
    },
    clearTimer(h) {
      var i = timers.indexOf(h as any);
      if (i >= 0) timers.splice(i, 1);
    },
    advance(ms) {
      var end = t + ms;
      for (;;) {
        timers.sort((a, b) => a.due - b.due || a.seq - b.seq);
        if (!timers.length || timers[0].due > end) break;
        var x = timers.shift()!;
        t = x.due;
        x.fn();
      }
      t = end;
    },
    pending: () => timers.length,
  };
}

export interface VLink extends Link {
  set(up: boolean): void;
}

export function vlink(up: boolean): VLink {
  var fn: ((up: boolean) => void) | undefined;
  return {
    isUp: () => up,
    onChange(f) {
      fn = f;
    },
    set(u) {
      up = u;
      if (fn) fn(u);
    },
  };
}

export interface VHal extends Hal {
  clock: VClock;
  conns: VConn[];
  /** the newest connection */
  c(): VConn;
}

export function vhal(random = 0.5): VHal {
  var conns: VConn[] = [];
  return {
    clock: vclock(),
    random: () => random,
    conns,
    c: () => conns[conns.length - 1],
    transport: {
      connect(target, h) {
        var c: VConn = {
          target,
          h,
          out: [],
          ended: false,
          destroyed: false,
          write(b) {
            c.out.push(b.slice());
          },
          end() {
            c.ended = true;
          },
          destroy() {
            c.destroyed = true;
          },
        };
        conns.push(c);
        return c;
      },
    },
  };
}

export function hex(b: Uint8Array | Uint8Array[]): string {
  if (Array.isArray(b)) return b.map(hex).join(" ");
  return Array.from(b, (x) => (x < 16 ? "0" : "") + x.toString(16)).join("");
}

export function bytes(h: string): Uint8Array {
  h = h.replace(/\s+/g, "");
  var b = new Uint8Array(h.length / 2);
  for (var i = 0; i < b.length; i++) b[i] = parseInt(h.substr(i * 2, 2), 16);
  return b;
}

/** Writes since the last call, as hex strings. */
export function take(c: VConn): string[] {
  var r = c.out.map((b) => hex(b));
  c.out.length = 0;
  return r;
}

export const CONNACK = "20020000";
export const CONNACK_SP = "20020100";

/** A client with its hal, connected (CONNECT taken, CONNACK given) unless `open` is false. */
export function setup(opts: Partial<ClientOptions> = {}, open = true, random = 0.5) {
  var hal = vhal(random);
  var client = new Client(Object.assign({ clientId: "c", host: "h", port: 1883 }, opts), hal);
  var events: string[] = [];
  var errors: any[] = [];
  var messages: [string, string, any][] = [];
  ["connect", "close", "offline", "reconnect", "end"].forEach((e) => client.on(e, () => events.push(e)));
  client.on("error", (e: any) => {
    events.push("error:" + e.code);
    errors.push(e);
  });
  client.on("message", (t: string, p: Uint8Array, pk: any) => messages.push([t, Buffer.from(p).toString(), pk]));
  if (open) {
    client.connect();
    hal.c().h.onOpen();
    hal.c().out.length = 0;
    hal.c().h.onData(bytes(CONNACK));
    events.length = 0;
  }
  return { hal, client, events, errors, messages };
}
