/**
 * Helpers for end-to-end tests of the wren client on the Node HAL: a client
 * factory with test-friendly defaults (fast reconnect, no jitter), promise
 * wrappers and a message collector that copies payloads (the client hands
 * out views into its receive buffer).
 */
import { createClient, installEmitter, Client, type ClientOptions } from "../../src/client/index";
import type { QoS, PublishPacket, ConnackPacket } from "../../src/codec/packet";
import { nodeHal } from "../../src/hal/node/index";

installEmitter(Client.prototype);

export type { Client };

let seq = 0;
/** A client id unique in this process and across concurrent test files. */
export function uid(prefix: string): string {
  return prefix + "-" + process.pid + "-" + ++seq;
}

export interface Endpoint {
  host?: string;
  port: number;
}

/** A client (not yet connected) with a unique id, short backoff and no jitter. */
export function wren(at: Endpoint, opts: Partial<ClientOptions> = {}): Client {
  const o: ClientOptions = {
    host: at.host || "127.0.0.1",
    port: at.port,
    clientId: uid("wren"),
    reconnect: { min: 20, max: 200, jitter: 0 },
    connectTimeout: 3000,
    ...opts,
  };
  return createClient(o, nodeHal());
}

/** Resolves on the next `connect` (CONNACK accepted); rejects on `error` when `failOnError`. */
export function nextConnect(c: Client, failOnError = true, ms = 5000): Promise<ConnackPacket> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      done();
      reject(new Error("no connect within " + ms + " ms"));
    }, ms);
    const ok = (p: ConnackPacket) => {
      done();
      resolve(p);
    };
    const bad = (e: Error) => {
      if (!failOnError) return;
      done();
      reject(e);
    };
    const done = () => {
      clearTimeout(t);
      c.removeListener("connect", ok);
      c.removeListener("error", bad);
    };
    c.on("connect", ok);
    c.on("error", bad);
  });
}

/** Create, connect and wait for CONNACK. */
export async function connected(at: Endpoint, opts: Partial<ClientOptions> = {}): Promise<Client> {
  const c = wren(at, opts);
  const p = nextConnect(c);
  c.connect();
  await p;
  return c;
}

export function subscribe(c: Client, filter: string | string[], qos: QoS): Promise<number[]> {
  return new Promise((resolve, reject) =>
    c.subscribe(filter, { qos }, (err?: Error | null, granted?: number[]) => (err ? reject(err) : resolve(granted!)))
  );
}

export function unsubscribe(c: Client, filter: string | string[]): Promise<void> {
  return new Promise((resolve, reject) => c.unsubscribe(filter, (err?: Error | null) => (err ? reject(err) : resolve())));
}

export function publish(c: Client, topic: string, payload: string | Uint8Array, qos: QoS, retain = false): Promise<void> {
  return new Promise((resolve, reject) =>
    c.publish(topic, payload, { qos, retain }, (err?: Error | null) => (err ? reject(err) : resolve()))
  );
}

export function end(c: Client, force = false): Promise<void> {
  return new Promise((resolve) => c.end(force, () => resolve()));
}

export interface Msg {
  topic: string;
  payload: Uint8Array;
  text: string;
  qos: QoS;
  retain: boolean;
  dup: boolean;
}

export interface Collector {
  msgs: Msg[];
  /** Resolves once `pred` holds for the collected messages (checked on each message). */
  until(pred: (msgs: Msg[]) => boolean, ms?: number, label?: string): Promise<Msg[]>;
  count(n: number, ms?: number): Promise<Msg[]>;
}

/** Collect every `message` of `c` (payloads copied). */
export function collect(c: Client, filter?: (topic: string) => boolean): Collector {
  const msgs: Msg[] = [];
  let waiters: { pred: (m: Msg[]) => boolean; resolve: (m: Msg[]) => void }[] = [];
  const check = () => {
    waiters = waiters.filter((w) => {
      if (!w.pred(msgs)) return true;
      w.resolve(msgs);
      return false;
    });
  };
  c.on("message", (topic: string, payload: Uint8Array, p: PublishPacket) => {
    if (filter && !filter(topic)) return;
    const copy = new Uint8Array(payload);
    msgs.push({ topic, payload: copy, text: Buffer.from(copy).toString(), qos: p.qos, retain: p.retain, dup: p.dup });
    check();
  });
  const until = (pred: (m: Msg[]) => boolean, ms = 5000, label = "condition") =>
    new Promise<Msg[]>((resolve, reject) => {
      if (pred(msgs)) return resolve(msgs);
      const w = {
        pred,
        resolve: (m: Msg[]) => {
          clearTimeout(t);
          resolve(m);
        },
      };
      const t = setTimeout(() => {
        waiters = waiters.filter((x) => x !== w);
        reject(new Error("timeout waiting for " + label + " (have " + msgs.length + " messages)"));
      }, ms);
      waiters.push(w);
    });
  return { msgs, until, count: (n, ms) => until((m) => m.length >= n, ms, n + " messages") };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `cond` every 10 ms. */
export async function waitFor(cond: () => boolean, ms = 5000, label = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("timeout waiting for " + label);
    await sleep(10);
  }
}

/**
 * Checks a received sequence of numbered messages 0..n-1: none lost, order of
 * first deliveries kept; returns how many were duplicates.
 */
export function checkSequence(nums: number[], n: number): { lost: number[]; dups: number; outOfOrder: number } {
  const seen = new Uint8Array(n);
  let dups = 0;
  let last = -1;
  let outOfOrder = 0;
  for (const x of nums) {
    if (seen[x]) {
      dups++;
      continue;
    }
    seen[x] = 1;
    if (x < last) outOfOrder++;
    last = x;
  }
  const lost: number[] = [];
  for (let i = 0; i < n; i++) if (!seen[i]) lost.push(i);
  return { lost, dups, outOfOrder };
}
