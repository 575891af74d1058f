/**
 * Interop with MQTT.js as the other peer, through mosquitto and aedes:
 * messages each way at QoS 0/1/2 with exact payload bytes (all 256 byte
 * values, an empty payload) and a UTF-8 topic outside ASCII.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import mqtt, { MqttClient } from "mqtt";
import type { QoS } from "../src/codec/packet";
import { startMosquitto } from "./support/mosquitto";
import { startAedes } from "./support/aedes";
import { collect, connected, end, publish, sleep, subscribe, uid, type Client } from "./support/wren";

const ALL = new Uint8Array(256);
for (let i = 0; i < 256; i++) ALL[i] = i;
// Two-, three- and four-byte UTF-8 sequences, plus a space and a '+'-free level.
const UTOPIC = "wren/ünïcødé/日本語/🐦/ Ω";

interface Ctx {
  port: number;
  stop(): Promise<void>;
  w: Client;
  m: MqttClient;
  err?: unknown;
}

for (const brokerName of ["mosquitto", "aedes"]) {
  const t = suite<Ctx>("interop MQTT.js via " + brokerName);

  t.before(async (ctx) => {
    try {
      await setup(ctx);
    } catch (e) {
      // uvu swallows before-hook errors (exit code 0): fail each test instead.
      ctx.err = e;
    }
  });
  t.before.each((ctx) => {
    if (ctx.err) throw ctx.err;
  });
  const setup = async (ctx: Ctx) => {
    const b = brokerName === "mosquitto" ? await startMosquitto() : await startAedes();
    ctx.port = b.port;
    ctx.stop = () => b.stop();
    ctx.w = await connected(b);
    ctx.m = await mqtt.connectAsync({ host: "127.0.0.1", port: b.port, clientId: uid("mqttjs"), reconnectPeriod: 0 });
  };
  t.after(async (ctx) => {
    if (ctx.w) await end(ctx.w);
    if (ctx.m) await ctx.m.endAsync(true);
    if (ctx.stop) await ctx.stop();
  });

  for (const qos of [0, 1, 2] as QoS[]) {
    t("wren -> MQTT.js at QoS " + qos + ": exact bytes, UTF-8 topic, once", async (ctx) => {
      const topic = UTOPIC + "/w2m/" + qos + "/" + uid("t");
      const got: { topic: string; payload: Buffer; qos: number; retain: boolean; dup: boolean }[] = [];
      const on = (tp: string, payload: Buffer, p: mqtt.IPublishPacket) => {
        if (tp.startsWith(UTOPIC)) got.push({ topic: tp, payload, qos: p.qos, retain: p.retain, dup: p.dup });
      };
      ctx.m.on("message", on);
      try {
        await ctx.m.subscribeAsync(topic, { qos });
        await publish(ctx.w, topic, ALL, qos);
        await publish(ctx.w, topic, new Uint8Array(0), qos);
        await publish(ctx.w, topic, "héllo ✓", qos);
        const deadline = Date.now() + 3000;
        while (got.length < 3 && Date.now() < deadline) await sleep(10);
        await sleep(100);
        assert.is(got.length, 3, "exactly three messages");
        assert.is(got[0].topic, topic);
        assert.equal([...got[0].payload], [...ALL]);
        assert.is(got[1].payload.length, 0);
        assert.equal([...got[2].payload], [...Buffer.from("héllo ✓", "utf8")]);
        for (const g of got) {
          assert.is(g.qos, qos);
          assert.is(g.retain, false);
          assert.is(g.dup, false);
        }
      } finally {
        ctx.m.removeListener("message", on);
      }
    });

    t("MQTT.js -> wren at QoS " + qos + ": exact bytes, UTF-8 topic, once", async (ctx) => {
      const topic = UTOPIC + "/m2w/" + qos + "/" + uid("t");
      const got = collect(ctx.w, (tp) => tp === topic);
      assert.equal(await subscribe(ctx.w, topic, qos), [qos]);
      await ctx.m.publishAsync(topic, Buffer.from(ALL), { qos });
      await ctx.m.publishAsync(topic, Buffer.alloc(0), { qos });
      await ctx.m.publishAsync(topic, "héllo ✓", { qos });
      await got.count(3, 3000);
      await sleep(100);
      assert.is(got.msgs.length, 3, "exactly three messages");
      assert.is(got.msgs[0].topic, topic);
      assert.equal([...got.msgs[0].payload], [...ALL]);
      assert.is(got.msgs[1].payload.length, 0);
      assert.is(got.msgs[2].text, "héllo ✓");
      for (const g of got.msgs) {
        assert.is(g.qos, qos);
        assert.is(g.retain, false);
        assert.is(g.dup, false);
      }
    });
  }

  t("MQTT.js retained message with a binary payload reaches a later wren subscriber", async (ctx) => {
    const topic = UTOPIC + "/ret/" + uid("t");
    await ctx.m.publishAsync(topic, Buffer.from(ALL), { qos: 1, retain: true });
    const got = collect(ctx.w, (tp) => tp === topic);
    await subscribe(ctx.w, topic, 1);
    const [m] = await got.count(1, 3000);
    assert.is(m.retain, true);
    assert.equal([...m.payload], [...ALL]);
    await ctx.m.publishAsync(topic, Buffer.alloc(0), { qos: 1, retain: true });
  });

  t.run();
}
