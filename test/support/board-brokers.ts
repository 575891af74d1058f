/**
 * The two real brokers the board-bundle tests (tiny-brokers, core-brokers)
 * run against, behind one interface, and the per-test context they share:
 * aedes in this process and a mosquitto process, each on a free loopback port.
 *
 * A filter is known to be active on the broker before anything is published
 * to it from elsewhere: aedes reports it (`subscribe` event, after it is
 * stored; aedes handles the packets of one read in parallel, so even the
 * client's own SUBSCRIBE and PUBLISH may race), mosquitto logs it (it handles
 * packets one at a time, in order).
 *
 * `bounce()` (brokers started with `persistence`): the broker goes down and
 * comes back on the same port with its sessions. Both stop the way a broker
 * that keeps what it acknowledged must: mosquitto with SIGTERM (it saves its
 * database, then exits; after a SIGKILL it forgets messages it already
 * acknowledged, see ./mosquitto.ts); aedes stops reading its sockets, lets
 * the packets it already read finish (it sends PUBACK for a QoS 1 PUBLISH
 * before it publishes it: a close in between loses a message it acknowledged,
 * measured: 7 per 2,000), then every socket is destroyed (no DISCONNECT) and
 * a new broker is started on the same port with the old one's in-memory
 * persistence, which outlives it.
 */
import { suite, type Test } from "uvu";
import * as assert from "uvu/assert";
import mqtt from "mqtt";
import { createServer, type Server, type Socket } from "node:net";
import { startAedes } from "./aedes";
import { startMosquitto } from "./mosquitto";
import { startProxy, type Proxy } from "./proxy";
import type { EspruinoBundle } from "./espruino-bundle";

// ---------------------------------------------------------------- helpers

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `cond` until true; fails the test (never a speed assertion) after a generous limit. */
export async function until(what: string, cond: () => boolean, ms = 10000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting for " + what);
    await sleep(5);
  }
}

/** All 256 byte values, as a binary string. */
export const ALL_BYTES = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
/** 3,000 bytes: over five 536-byte stand-in chunks, so the client must reassemble the PUBLISH. */
export const BIG = String.fromCharCode(...Array.from({ length: 3000 }, (_, i) => (i * 7 + (i >> 8)) & 255));

export const latin1 = (s: string) => Buffer.from(s, "latin1");

export const count = (a: string[], x: string) => a.filter((e) => e == x).length;

// ---------------------------------------------------------------- brokers

export interface Broker {
  host: string;
  port: number;
  url: string;
  /** Resolves once `clientId` holds `filter` (at `qos`: mosquitto logs it) for the n-th time (1 = first subscription). */
  subscribed(clientId: string, filter: string, n?: number, qos?: number): Promise<void>;
  /** Lines the broker reports about client sessions (diagnostics in failures). */
  logs(): string;
  stop(): Promise<void>;
  /** mosquitto only: SIGKILL, then the same port again (without `persistence`: no state). */
  restart?: () => Promise<void>;
  /** With `persistence`: down and back on the same port, sessions kept (see the header). */
  bounce?: () => Promise<void>;
  /** aedes only: the messages it accepted from `clientId` (its `publish` event), in order; QoS 2 once each. */
  accepted?: (clientId: string) => { topic: string; payload: string; qos: number }[];
}

export interface StartOptions {
  /** Only user "u" with password "right" may connect. */
  auth?: boolean;
  /** Sessions survive `bounce()`. */
  persistence?: boolean;
}

export interface Kind {
  name: "aedes" | "mosquitto";
  start(o?: StartOptions): Promise<Broker>;
  /** CONNACK return codes for a wrong password and for no username at all. */
  refused: { wrongPassword: number; anonymous: number };
  /** How the broker tells a DISCONNECT from a dropped connection: resolves once it saw `n` from `clientId`. */
  sawDisconnect(b: Broker, clientId: string, n?: number): Promise<void>;
}

/** Only "u"/"right": 4 bad user name or password, 5 not authorized [MQTT-3.2.2-5]. */
const aedesAuth = (_id: string, user?: string, pass?: Buffer) => (user === "u" ? (pass && pass.toString("latin1") === "right") || 4 : 5);

/**
 * aedes that can go down and come back on its port: a new broker with the
 * old one's persistence (aedes' memory persistence is not destroyed by close()).
 */
async function startAedesBouncing(watch: (broker: any) => void) {
  const { Aedes } = await import("aedes");
  const make = async (persistence?: unknown) => {
    const b = await Aedes.createBroker({ heartbeatInterval: 3600000, ...(persistence ? { persistence } : {}) });
    watch(b);
    return b;
  };
  let broker: any = await make();
  const persistence = broker.persistence;
  const sockets = new Set<Socket>();
  const listen = (port: number) =>
    new Promise<Server>((resolve, reject) => {
      const s = createServer((c) => {
        sockets.add(c);
        c.on("close", () => sockets.delete(c));
        broker.handle(c);
      });
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => resolve(s));
    });
  let server = await listen(0);
  const port = (server.address() as { port: number }).port;
  const down = async (settle = 0) => {
    if (settle) {
      // read nothing more, let the packets already read finish (see the header), then go
      for (const id in broker.clients) broker.clients[id].pause();
      await sleep(settle);
    }
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise<void>((r) => broker.close(() => r()));
  };
  return {
    port,
    stop: () => down(),
    async bounce() {
      await down(50);
      broker = await make(persistence);
      // (the port was ours a moment ago; retry briefly if a dial raced onto it)
      for (let i = 0; ; i++) {
        try {
          server = await listen(port);
          return;
        } catch (e) {
          if (i > 20) throw e;
          await sleep(20);
        }
      }
    },
  };
}

export const AEDES: Kind = {
  name: "aedes",
  refused: { wrongPassword: 4, anonymous: 5 },
  async start(o = {}) {
    const subs: string[] = [];
    const disconnects: string[] = [];
    const published: { id: string; topic: string; payload: string; qos: number }[] = [];
    const watch = (broker: any) => {
      broker.on("publish", (p: { topic: string; payload: Buffer; qos: number }, c: { id: string } | null) => {
        if (c) published.push({ id: c.id, topic: p.topic, payload: p.payload.toString("latin1"), qos: p.qos });
      });
      broker.on("subscribe", (s: { topic: string }[], c: { id: string }) => {
        for (const x of s) subs.push(c.id + " " + x.topic);
      });
      // aedes sets _disconnected only on a DISCONNECT packet (then publishes no will)
      broker.on("clientDisconnect", (c: { id: string; _disconnected?: boolean }) => disconnects.push(c.id + (c._disconnected ? " DISCONNECT" : " dropped")));
    };
    let port: number, stop: () => Promise<void>, bounce: (() => Promise<void>) | undefined;
    if (o.persistence) {
      if (o.auth) throw new Error("aedes: auth with persistence not needed so far");
      ({ port, stop, bounce } = await startAedesBouncing(watch));
    } else {
      const a = await startAedes(o.auth ? { authenticate: aedesAuth } : {});
      watch(a.broker);
      ({ port, stop } = a);
    }
    return {
      host: "127.0.0.1",
      port,
      url: "mqtt://127.0.0.1:" + port,
      subscribed: (id, filter, n = 1) => until(`aedes: ${id} subscribed to ${filter} (${n})`, () => subs.filter((s) => s == id + " " + filter).length >= n),
      logs: () => "subscribe: " + subs.join(", ") + "; clientDisconnect: " + disconnects.join(", "),
      stop,
      bounce,
      accepted: (id) => published.filter((m) => m.id == id).map(({ topic, payload, qos }) => ({ topic, payload, qos })),
    };
  },
  sawDisconnect: (b, id, n = 1) => until(`aedes: DISCONNECT from ${id} (${n})`, () => b.logs().split(id + " DISCONNECT").length > n),
};

export const MOSQUITTO: Kind = {
  name: "mosquitto",
  // mosquitto 2.0 answers 5 (not authorized) to a 3.1.1 client with a wrong password too
  refused: { wrongPassword: 5, anonymous: 5 },
  async start(o = {}) {
    // (throws when mosquitto is missing: a broker test fails, never skips)
    const m = await startMosquitto({ extra: ["log_type subscribe"], ...(o.auth ? { auth: { users: { u: "right" } } } : {}), ...(o.persistence ? { persistence: true } : {}) });
    const n = (s: string) => m.logs().split(s).length - 1;
    return {
      host: m.host,
      port: m.port,
      url: m.url,
      // "<time>: <client id> <qos> <filter>", logged while the SUBSCRIBE is handled
      subscribed: (id, filter, k = 1, qos = 0) => until(`mosquitto: ${id} subscribed to ${filter} (${k})`, () => n(`: ${id} ${qos} ${filter}\n`) >= k),
      logs: () => m.logs(),
      stop: () => m.stop(),
      // the same port, a new process, state as of the last autosave (none without persistence)
      restart: async () => {
        await m.kill();
        await m.restart();
      },
      // SIGTERM (the database is saved), then the same port with it
      bounce: o.persistence ? () => m.restart() : undefined,
    };
  },
  // "disconnected." after a DISCONNECT; "closed its connection." when the socket just closes
  sawDisconnect: (b, id, n = 1) => until(`mosquitto: "Client ${id} disconnected." (${n})`, () => b.logs().split(`Client ${id} disconnected.\n`).length > n),
};

// ---------------------------------------------------------------- per-test context

/** Per-test state, torn down by `teardown`. */
export interface Ctx {
  bundle?: EspruinoBundle;
  brokers: Broker[];
  proxies: Proxy[];
  peers: mqtt.MqttClient[];
  /** Bundle clients (anything with end(force)). */
  clients: any[];
}

export function newCtx(): Ctx {
  return { brokers: [], proxies: [], peers: [], clients: [] };
}

export async function teardown(c: Ctx): Promise<void> {
  for (const t of c.clients) t.end(true);
  for (const p of c.peers) await new Promise<void>((r) => p.end(true, {}, () => r()));
  for (const p of c.proxies) await p.stop();
  for (const b of c.brokers) await b.stop();
  if (c.bundle) c.bundle.uninstall();
  // nothing of Espruino's may outlive the test (aedes and MQTT.js share this process)
  const g = globalThis as any;
  assert.equal([typeof (Object.prototype as any).on, typeof g.E, typeof g.getSerial, typeof g.require], ["undefined", "undefined", "undefined", "undefined"]);
}

/** One suite per broker kind (aedes, mosquitto), named "<name> x <kind>": `tests` adds the tests, each with its own `Ctx`, torn down after it. */
export function perBroker(name: string, tests: (t: Test<Ctx>, kind: Kind) => void): void {
  for (const kind of [AEDES, MOSQUITTO]) {
    const t = suite<Ctx>(`${name} x ${kind.name}`, newCtx());
    t.before.each((c) => {
      Object.assign(c, newCtx(), { bundle: undefined });
    });
    t.after.each(teardown);
    tests(t, kind);
    t.run();
  }
}

/** A broker of `kind` for this test (stopped by `teardown`). */
export async function broker(c: Pick<Ctx, "brokers">, kind: Kind, o?: StartOptions): Promise<Broker> {
  const b = await kind.start(o);
  c.brokers.push(b);
  return b;
}

/** A proxy in front of `b` for this test (stopped by `teardown`). */
export async function proxy(c: Pick<Ctx, "proxies">, b: Broker): Promise<Proxy> {
  const px = await startProxy(b);
  c.proxies.push(px);
  return px;
}

/** The bundle dialed `b` once and wrote only `hello` (its CONNECT); the stand-in saw no violation. */
export function assertOneDial(c: Ctx, b: Broker, hello: string): void {
  const st = c.bundle!.standin;
  assert.is(st.net.sockets.length, 1);
  assert.is(st.net.sockets[0].options.port, b.port);
  assert.equal(st.net.writes, [hello]);
  assert.equal(st.violations, []);
}

/** An MQTT.js 3.1.1 client, connected (no reconnect unless `opts` says so). */
export async function peer(c: Pick<Ctx, "peers">, url: string, clientId: string, opts: mqtt.IClientOptions = {}): Promise<mqtt.MqttClient> {
  const p = mqtt.connect(url, { clientId, protocolVersion: 4, reconnectPeriod: 0, ...opts });
  c.peers.push(p);
  await new Promise<void>((resolve, reject) => {
    p.once("connect", () => resolve());
    p.once("error", reject);
  });
  return p;
}
