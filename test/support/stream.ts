/**
 * A numbered QoS 1 + QoS 2 message stream between two wren clients with
 * persistent sessions, for fault tests: faults are injected by callbacks when
 * the subscriber has received a given number of messages; the result tells
 * what was lost, duplicated or reordered per QoS.
 */
import type { ClientOptions } from "../../src/client/index";
import type { WrenError } from "../../src/errors";
import { checkSequence, collect, connected, end, subscribe, uid, type Client, type Endpoint } from "./wren";

export interface StreamOptions {
  /** Where the publisher and subscriber connect (e.g. through proxies). */
  pubAt: Endpoint;
  subAt: Endpoint;
  /** Messages per QoS. */
  n: number;
  /** Fault hooks keyed by how many messages the subscriber has received. */
  at: { [received: number]: () => void | Promise<void> };
  /** Fault hooks keyed by how many publishes the publisher completed (acked). */
  atPub?: { [completed: number]: () => void | Promise<void> };
  /** Extra options for both clients (keepalive, pingTimeout...). */
  opts?: Partial<ClientOptions>;
  /** Payload padding, bytes (makes packets long enough to cut inside). */
  pad?: number;
  timeoutMs?: number;
}

export interface QosResult {
  lost: number[];
  dups: number;
  outOfOrder: number;
  received: number;
}

export interface StreamResult {
  q1: QosResult;
  q2: QosResult;
  pubOffline: number;
  subOffline: number;
  errors: string[];
  /** Received sequence numbers per QoS, in arrival order. */
  seq1: number[];
  seq2: number[];
  /** Publish callbacks run. */
  completed: number;
}

export async function runStream(o: StreamOptions): Promise<StreamResult> {
  const topic = uid("stream");
  const base: Partial<ClientOptions> = {
    clean: false,
    queue: { limit: 100000, bytes: 1 << 30 },
    ...(o.opts || {}),
  };
  const errors: string[] = [];
  const sub = await connected(o.subAt, { ...base, clientId: uid("ssub") });
  const pub = await connected(o.pubAt, { ...base, clientId: uid("spub") });
  let subOffline = 0;
  let pubOffline = 0;
  sub.on("offline", () => subOffline++);
  pub.on("offline", () => pubOffline++);
  sub.on("error", (e: WrenError) => errors.push("sub:" + e.code));
  pub.on("error", (e: WrenError) => errors.push("pub:" + e.code));
  const got = collect(sub);
  await subscribe(sub, topic + "/1", 1);
  await subscribe(sub, topic + "/2", 2);

  // Fire each hook once when the count is reached.
  const hooks = Object.keys(o.at)
    .map(Number)
    .sort((a, b) => a - b);
  const pending: Promise<void>[] = [];
  sub.on("message", () => {
    while (hooks.length && got.msgs.length >= hooks[0]) pending.push(Promise.resolve(o.at[hooks.shift()!]()));
  });

  const pubHooks = Object.keys(o.atPub || {})
    .map(Number)
    .sort((a, b) => a - b);
  let completed = 0;
  const done = (err?: Error | null) => {
    if (err) errors.push("pubcb:" + (err as WrenError).code);
    completed++;
    while (pubHooks.length && completed >= pubHooks[0]) pending.push(Promise.resolve(o.atPub![pubHooks.shift()!]()));
  };
  const pad = "x".repeat(o.pad || 0);
  for (let i = 0; i < o.n; i++) {
    pub.publish(topic + "/1", i + ":" + pad, { qos: 1 }, done);
    pub.publish(topic + "/2", i + ":" + pad, { qos: 2 }, done);
  }
  const nums = (t: string) => got.msgs.filter((m) => m.topic === t).map((m) => parseInt(m.text, 10));
  const complete = () => {
    const a = checkSequence(nums(topic + "/1"), o.n);
    const b = checkSequence(nums(topic + "/2"), o.n);
    return a.lost.length === 0 && b.lost.length === 0;
  };
  try {
    await got.until(complete, o.timeoutMs || 20000, "complete stream");
  } catch (e) {
    // Report below with what arrived.
    errors.push("timeout");
  }
  await Promise.all(pending);
  // Let late duplicates show up before counting them.
  await new Promise((r) => setTimeout(r, 200));
  const res = (t: string): QosResult => {
    const n = nums(t);
    return { ...checkSequence(n, o.n), received: n.length };
  };
  const out: StreamResult = {
    q1: res(topic + "/1"),
    q2: res(topic + "/2"),
    pubOffline,
    subOffline,
    errors,
    seq1: nums(topic + "/1"),
    seq2: nums(topic + "/2"),
    completed,
  };
  await cleanup(pub);
  await cleanup(sub);
  return out;
}

async function cleanup(c: Client) {
  await end(c, true);
}
