/**
 * 5.0 topic aliases against a real mosquitto (its `max_topic_alias` defaults to 10):
 * the wren client publishes 20 messages on 3 topics at QoS 0/1/2, once with aliases
 * (the default) and once with `topicAliases: false`; an MQTT.js 5.0 subscriber gets
 * every message with its topic and payload both times, and the bytes the wren client
 * wrote (counted at its transport) are fewer with aliases, by exactly the topics left
 * out minus the alias properties. A wren subscriber that allows the broker aliases
 * (`properties.topicAliasMaximum`) gets them all too. mosquitto missing: the test fails.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import mqtt from "mqtt";
import { startMosquitto, type Mosquitto } from "./support/mosquitto";
import { collect, end, nextConnect, subscribe, uid, type Client } from "./support/wren";
import { createClient } from "../src/client/index";
import { nodeHal } from "../src/hal/node/index";
import type { ConnackPacket } from "../src/codec/packet";

const TOPICS = ["wren/ta/RUN/greenhouse/north/temperature", "wren/ta/RUN/greenhouse/north/humidity", "wren/ta/RUN/greenhouse/battery"];
const N = 20;

/** A 5.0 wren client whose transport counts what it writes: PUBLISH bytes and all bytes. */
async function counted(b: Mosquitto, opts: object) {
  const hal = nodeHal();
  const t = hal.transport;
  const w = { pub: 0, all: 0, pubs: [] as number[] };
  hal.transport = {
    connect(target, h) {
      const k = t.connect(target, h);
      return {
        write(x) {
          // (the client writes one whole packet per call)
          w.all += x.length;
          if (x[0] >> 4 == 3) (w.pub += x.length), w.pubs.push(x.length);
          k.write(x);
        },
        end: () => k.end(),
        destroy: () => k.destroy(),
      };
    },
  };
  const c = createClient({ host: "127.0.0.1", port: b.port, clientId: uid("wren"), protocolVersion: 5, reconnect: false, ...opts }, hal) as Client;
  const p = nextConnect(c);
  c.connect();
  return { c, w, connack: (await p) as ConnackPacket };
}

/** Publish N messages round the topics (run tag `run`, QoS i % 3); resolves when all completed. */
function burst(c: Client, run: string): Promise<unknown> {
  const done: Promise<void>[] = [];
  for (let i = 0; i < N; i++)
    done.push(
      new Promise((res, rej) =>
        c.publish(TOPICS[i % 3].replace("RUN", run), "reading " + i, { qos: (i % 3) as 0 | 1 | 2 }, (e) => (e ? rej(e) : res())),
      ),
    );
  return Promise.all(done);
}

function expected(run: string): string[] {
  const a: string[] = [];
  for (let i = 0; i < N; i++) a.push(TOPICS[i % 3].replace("RUN", run) + " reading " + i);
  return a.sort();
}

test("mosquitto 5.0: 20 aliased publishes on 3 topics reach MQTT.js 5.0 and a wren subscriber with the right topics; fewer bytes written", async () => {
  const b = await startMosquitto();
  const ends: (() => Promise<unknown>)[] = [];
  try {
    const got: string[] = [];
    const m = await mqtt.connectAsync({ host: "127.0.0.1", port: b.port, clientId: uid("mqttjs"), protocolVersion: 5, reconnectPeriod: 0 });
    ends.push(() => m.endAsync(true));
    m.on("message", (topic, payload) => got.push(topic + " " + payload.toString()));
    await m.subscribeAsync("wren/ta/#", { qos: 2 });
    // a wren subscriber that lets the broker send aliases (whether mosquitto uses them is
    // its choice: the topics must come out right either way)
    const s = await counted(b, { properties: { topicAliasMaximum: 10 } });
    ends.push(() => end(s.c));
    const sub = collect(s.c);
    await subscribe(s.c, "wren/ta/#", 2);

    const on = await counted(b, {});
    ends.push(() => end(on.c));
    // mosquitto's default max_topic_alias
    assert.is(on.connack.properties!.topicAliasMaximum, 10);
    await burst(on.c, "on");
    const off = await counted(b, { topicAliases: false });
    ends.push(() => end(off.c));
    await burst(off.c, "of");

    const want = expected("on").concat(expected("of")).sort();
    for (let i = 0; i < 100 && (got.length < 2 * N || sub.msgs.length < 2 * N); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(got.slice().sort(), want, "MQTT.js");
    assert.equal(sub.msgs.map((x) => x.topic + " " + x.text).sort(), want, "wren subscriber");

    // the same packets but the topics: each topic goes once in full with its alias (3 bytes
    // more), every later publish without it (topic length, 2 + 38..39 bytes, less, but 3 more)
    assert.is(on.w.pubs.length, N);
    assert.is(off.w.pubs.length, N);
    let saved = 0;
    for (let i = 0; i < N; i++) saved += i < 3 ? -3 : Buffer.byteLength(TOPICS[i % 3].replace("RUN", "on")) - 3;
    assert.is(off.w.pub - on.w.pub, saved);
    assert.ok(on.w.pub < off.w.pub);
    console.log(`  topic aliases: ${on.w.pub} B of PUBLISH written with, ${off.w.pub} B without (${saved} B saved); all writes ${on.w.all} vs ${off.w.all} B`);
    assert.is(off.w.all - on.w.all, saved);
  } finally {
    for (const f of ends.reverse()) await f().catch(() => {});
    await b.stop();
  }
});

test.run();
