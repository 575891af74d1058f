/**
 * The end-to-end behaviours every real broker must show with the wren
 * client; test/broker-aedes.test.ts and test/broker-mosquitto.test.ts run it
 * against their broker.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { WrenError } from "../../src/errors";
import type { QoS } from "../../src/codec/packet";
import { startProxy } from "./proxy";
import {
  collect,
  connected,
  end,
  nextConnect,
  publish,
  sleep,
  subscribe,
  uid,
  unsubscribe,
  waitFor,
  wren,
  type Client,
} from "./wren";

export interface BrokerUnderTest {
  host: string;
  port: number;
  stop(): Promise<void>;
}

export interface BrokerKind {
  name: string;
  /** A broker; with `auth`, only that user/password is accepted (CONNACK 5 otherwise). */
  start(opts?: { auth?: { user: string; password: string } }): Promise<BrokerUnderTest>;
  /** Whether a `$SYS/...` message appears within a few seconds of subscribing (after `poke` connects a client). */
  sysTopics: boolean;
  /** Whether a wildcard subscription's QoS caps delivery (false for aedes 1.2.0, a broker bug). */
  wildcardDowngrade: boolean;
}

export function brokerSuite(kind: BrokerKind): void {
  const suiteT = suite<{ b: BrokerUnderTest; open: Client[]; err?: unknown }>(kind.name + " e2e");
  // uvu swallows an error thrown in a before hook (0 passed, exit code 0):
  // keep it and fail every test with it instead.
  type Ctx = { b: BrokerUnderTest; open: Client[]; err?: unknown };
  const t = Object.assign(
    (name: string, fn: (ctx: Ctx) => Promise<void>) =>
      suiteT(name, async (ctx) => {
        if (ctx.err) throw ctx.err;
        await fn(ctx);
      }),
    { before: suiteT.before, after: suiteT.after, run: () => suiteT.run() }
  );
  // Every client a test makes goes into ctx.open so a failing test still cleans up.
  const track = (ctx: { open: Client[] }, c: Client) => {
    ctx.open.push(c);
    return c;
  };

  t.before(async (ctx) => {
    ctx.open = [];
    try {
      ctx.b = await kind.start();
    } catch (e) {
      ctx.err = e;
    }
  });
  t.after.each(async (ctx) => {
    for (const c of ctx.open) c.end(true);
    ctx.open = [];
  });
  t.after(async (ctx) => {
    if (ctx.b) await ctx.b.stop();
  });

  t("connect: CONNACK accepted, clean session not present, DISCONNECT on end", async (ctx) => {
    const c = track(ctx, wren(ctx.b));
    const events: string[] = [];
    for (const e of ["connect", "close", "offline", "end", "error"]) c.on(e, () => events.push(e));
    const ack = nextConnect(c);
    c.connect();
    const connack = await ack;
    assert.is(connack.returnCode, 0);
    assert.is(connack.sessionPresent, false);
    assert.ok(c.connected);
    await end(c);
    assert.not.ok(c.connected);
    assert.equal(events, ["connect", "close", "end"]);
  });

  t("QoS 0/1/2 both ways: delivered QoS is min(publish, subscription) [MQTT-3.8.4-6]", async (ctx) => {
    const base = uid("qos");
    const sub = track(ctx, await connected(ctx.b));
    const pub = track(ctx, await connected(ctx.b));
    const got = collect(sub);
    // Exact topics always; a wildcard filter only where the broker downgrades
    // through wildcards (aedes 1.2.0 does not: deliverQoS looks the
    // subscription up by topic name, so a QoS 1 "a/+" gets QoS 2 messages).
    for (const s of [0, 1, 2] as QoS[]) {
      if (kind.wildcardDowngrade) assert.equal(await subscribe(sub, base + "/" + s + "/+", s), [s]);
      else {
        const filters: { [f: string]: QoS } = {};
        for (const p of [0, 1, 2]) filters[base + "/" + s + "/" + p] = s;
        const granted = await new Promise((res, rej) => sub.subscribe(filters, (e, g) => (e ? rej(e) : res(g))));
        assert.equal(granted, [s, s, s]);
      }
    }
    for (const s of [0, 1, 2] as QoS[])
      for (const p of [0, 1, 2] as QoS[]) await publish(pub, base + "/" + s + "/" + p, "s" + s + "p" + p, p);
    const msgs = await got.count(9);
    await sleep(100);
    assert.is(got.msgs.length, 9, "no duplicates");
    const seen = msgs.map((m) => m.topic.slice(base.length + 1) + "=" + m.text + "@" + m.qos).sort();
    const want: string[] = [];
    for (const s of [0, 1, 2])
      for (const p of [0, 1, 2]) want.push(s + "/" + p + "=s" + s + "p" + p + "@" + Math.min(s, p));
    assert.equal(seen, want.sort());
    for (const m of msgs) assert.is(m.retain, false);
  });

  t("a 256 KiB payload arrives byte-exact at QoS 1", async (ctx) => {
    const topic = uid("big");
    const sub = track(ctx, await connected(ctx.b));
    const pub = track(ctx, await connected(ctx.b));
    const got = collect(sub);
    await subscribe(sub, topic, 1);
    const big = new Uint8Array(256 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 8)) & 255;
    await publish(pub, topic, big, 1);
    const [m] = await got.count(1);
    assert.is(m.payload.length, big.length);
    assert.ok(Buffer.from(m.payload).equals(Buffer.from(big)));
  });

  t("retain: a new subscriber gets the retained message flagged retain; an empty retained payload clears it", async (ctx) => {
    const topic = uid("ret");
    const pub = track(ctx, await connected(ctx.b));
    await publish(pub, topic, "kept", 1, true);
    const s1 = track(ctx, await connected(ctx.b));
    const g1 = collect(s1);
    await subscribe(s1, topic, 1);
    const [m] = await g1.count(1);
    assert.is(m.text, "kept");
    assert.is(m.retain, true, "retained copy [MQTT-3.3.1-8]");
    // A live publish to an existing subscription arrives with retain 0 [MQTT-3.3.1-9].
    await publish(pub, topic, "live", 1, true);
    const m2 = (await g1.count(2))[1];
    assert.is(m2.text, "live");
    assert.is(m2.retain, false);
    // Clear [MQTT-3.3.1-10]: a later subscriber gets nothing retained.
    await publish(pub, topic, new Uint8Array(0), 1, true);
    const s2 = track(ctx, await connected(ctx.b));
    const g2 = collect(s2);
    await subscribe(s2, topic, 1);
    await sleep(300);
    assert.is(g2.msgs.length, 0);
  });

  t("will: published when the client's socket is destroyed, not after a clean end()", async (ctx) => {
    const willTopic = uid("will");
    const watcher = track(ctx, await connected(ctx.b));
    const got = collect(watcher);
    await subscribe(watcher, willTopic + "/#", 1);

    // 1. The network drops the socket (proxy destroys both sides).
    const proxy = await startProxy(ctx.b);
    try {
      const a = track(
        ctx,
        await connected(proxy, {
          will: { topic: willTopic + "/a", payload: new Uint8Array([0, 1, 254, 255]), qos: 1, retain: false },
          reconnect: false,
        })
      );
      proxy.closeAll();
      const [m] = await got.count(1);
      assert.is(m.topic, willTopic + "/a");
      assert.equal([...m.payload], [0, 1, 254, 255]);
      assert.is(m.qos, 1);
      await waitFor(() => !a.connected, 2000, "client sees the close");
    } finally {
      await proxy.stop();
    }

    // 2. end(true): the client destroys its own socket without DISCONNECT.
    const b = track(ctx, await connected(ctx.b, { will: { topic: willTopic + "/b", payload: "gone", qos: 0 } }));
    await end(b, true);
    const m2 = (await got.count(2))[1];
    assert.is(m2.topic, willTopic + "/b");
    assert.is(m2.text, "gone");

    // 3. A clean end() sends DISCONNECT: the will is discarded [MQTT-3.14.4-3].
    const c = track(ctx, await connected(ctx.b, { will: { topic: willTopic + "/c", payload: "no", qos: 1 } }));
    await end(c);
    const sentinel = willTopic + "/sentinel";
    await publish(watcher, sentinel, "s", 1);
    await got.until((ms) => ms.some((x) => x.topic === sentinel), 3000, "sentinel");
    await sleep(200);
    assert.not.ok(got.msgs.some((x) => x.topic === willTopic + "/c"));
  });

  t("auth: CONNACK 5 surfaces as a CONNACK_REFUSED error; no redial with reconnect off", async () => {
    const b = await kind.start({ auth: { user: "wren", password: "pa55" } });
    try {
      const c = wren(b, { username: "wren", password: "wrong", reconnect: false });
      const errors: WrenError[] = [];
      let connects = 0;
      c.on("error", (e: WrenError) => errors.push(e));
      c.on("connect", () => connects++);
      c.connect();
      await waitFor(() => errors.length > 0, 3000, "refusal");
      await sleep(300);
      assert.is(connects, 0);
      assert.is(errors.length, 1, "one error, no redial");
      assert.is(errors[0].code, "CONNACK_REFUSED");
      assert.match(errors[0].message, /not authorized/);
      assert.not.ok(c.connected);
      c.end(true);

      const ok = await connected(b, { username: "wren", password: "pa55" });
      assert.ok(ok.connected);
      await end(ok);
    } finally {
      await b.stop();
    }
  });

  t("persistent session: QoS 1/2 messages queued while offline arrive on reconnect, in order, once", async (ctx) => {
    const id = uid("persist");
    const topic = uid("pq");
    const s1 = track(ctx, await connected(ctx.b, { clientId: id, clean: false }));
    await subscribe(s1, topic + "/1", 1);
    await subscribe(s1, topic + "/2", 2);
    await end(s1);

    const pub = track(ctx, await connected(ctx.b));
    for (let i = 0; i < 25; i++) {
      await publish(pub, topic + "/1", "a" + i, 1);
      await publish(pub, topic + "/2", "b" + i, 2);
    }
    // A new client object (as after a process restart) with the same id.
    const s2 = track(ctx, wren(ctx.b, { clientId: id, clean: false }));
    const got = collect(s2);
    const ack = nextConnect(s2);
    s2.connect();
    assert.is((await ack).sessionPresent, true, "session present [MQTT-3.2.2-2]");
    await got.count(50);
    await sleep(200);
    assert.is(got.msgs.length, 50);
    const q1 = got.msgs.filter((m) => m.topic === topic + "/1");
    const q2 = got.msgs.filter((m) => m.topic === topic + "/2");
    assert.equal(q1.map((m) => m.text), Array.from({ length: 25 }, (_, i) => "a" + i));
    assert.equal(q2.map((m) => m.text), Array.from({ length: 25 }, (_, i) => "b" + i));
    assert.ok(q1.every((m) => m.qos === 1) && q2.every((m) => m.qos === 2));
    // Clean up the broker-side session.
    await end(s2);
    const s3 = await connected(ctx.b, { clientId: id, clean: true });
    await end(s3);
  });

  t("unsubscribe: no more messages for the filter, others keep flowing", async (ctx) => {
    const base = uid("unsub");
    const c = track(ctx, await connected(ctx.b));
    const got = collect(c);
    await subscribe(c, [base + "/a", base + "/s"], 1);
    await publish(c, base + "/a", "before", 1);
    await got.count(1);
    await unsubscribe(c, base + "/a");
    await publish(c, base + "/a", "after", 1);
    await publish(c, base + "/s", "sentinel", 1);
    await got.until((m) => m.some((x) => x.text === "sentinel"), 3000, "sentinel");
    await sleep(100);
    assert.equal(got.msgs.map((m) => m.text), ["before", "sentinel"]);
  });

  t("$SYS topics are not matched by # [MQTT-4.7.2-1]", async (ctx) => {
    const all = track(ctx, await connected(ctx.b));
    const gAll = collect(all);
    await subscribe(all, "#", 0);
    const sys = track(ctx, await connected(ctx.b));
    const gSys = collect(sys);
    await subscribe(sys, "$SYS/#", 0);
    if (kind.sysTopics) {
      // A new client makes aedes publish $SYS/<id>/new/clients; mosquitto publishes every second.
      const poke = await connected(ctx.b);
      await gSys.count(1, 4000);
      await end(poke);
      assert.ok(gSys.msgs.every((m) => m.topic.startsWith("$SYS/")));
    }
    const mark = uid("sysmark");
    await publish(sys, mark, "m", 1);
    await gAll.until((m) => m.some((x) => x.topic === mark), 3000, "marker through #");
    assert.is(gAll.msgs.filter((m) => m.topic.startsWith("$")).length, 0);
    assert.is(gSys.msgs.filter((m) => m.topic === mark).length, 0);
  });

  t.run();
}
