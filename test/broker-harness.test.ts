/**
 * The broker/proxy test harness itself, driven by MQTT.js: if these fail, the
 * client e2e and fault tests cannot be trusted.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import mqtt, { MqttClient } from "mqtt";
import { connect as netConnect } from "node:net";
import { startMosquitto } from "./support/mosquitto";
import { makeCerts } from "./support/certs";
import { startAedes } from "./support/aedes";
import { startProxy } from "./support/proxy";

function nextMessage(c: MqttClient): Promise<{ topic: string; payload: Buffer }> {
  return new Promise((resolve) => c.once("message", (topic, payload) => resolve({ topic, payload })));
}

function connackCode(url: string, opts: mqtt.IClientOptions): Promise<number> {
  return new Promise((resolve) => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, ...opts });
    c.once("connect", () => {
      c.end(true);
      resolve(0);
    });
    c.once("error", (e) => {
      c.end(true);
      resolve((e as Error & { code: number }).code);
    });
  });
}

test("mosquitto: starts on a free port, carries messages, refuses bad passwords with CONNACK 5", async () => {
  const m = await startMosquitto({ auth: { users: { alice: "s3cret" } } });
  try {
    assert.ok(m.port > 0 && m.running());
    assert.is(await connackCode(m.url, { username: "alice", password: "wrong" }), 5);
    assert.is(await connackCode(m.url, {}), 5);
    const c = await mqtt.connectAsync(m.url, { username: "alice", password: "s3cret", reconnectPeriod: 0 });
    await c.subscribeAsync("h/1", { qos: 1 });
    const got = nextMessage(c);
    await c.publishAsync("h/1", Buffer.from([0, 255, 1]), { qos: 1 });
    assert.equal([...(await got).payload], [0, 255, 1]);
    await c.endAsync();
    assert.match(m.logs(), /alice/);
  } finally {
    await m.stop();
  }
  assert.not.ok(m.running());
});

test("mosquitto: restart (SIGTERM) keeps QoS 1 messages queued for an offline persistent session", async () => {
  const m = await startMosquitto({ persistence: true });
  try {
    const s = await mqtt.connectAsync(m.url, { clientId: "harness-s", clean: false, reconnectPeriod: 0 });
    await s.subscribeAsync("q", { qos: 1 });
    await s.endAsync();
    const p = await mqtt.connectAsync(m.url, { clientId: "harness-p", reconnectPeriod: 0 });
    for (let i = 0; i < 20; i++) await p.publishAsync("q", String(i), { qos: 1 });
    await p.endAsync();
    const port = m.port;
    await m.restart();
    assert.is(m.port, port);
    const got: string[] = [];
    const s2 = mqtt.connect(m.url, { clientId: "harness-s", clean: false, reconnectPeriod: 0 });
    await new Promise<void>((resolve) =>
      s2.on("message", (_t, pl) => {
        got.push(pl.toString());
        if (got.length === 20) resolve();
      })
    );
    assert.equal(got, Array.from({ length: 20 }, (_, i) => String(i)));
    await s2.endAsync();
  } finally {
    await m.stop();
  }
});

test("mosquitto: TLS listener with a generated CA", async () => {
  const certs = makeCerts();
  const m = await startMosquitto({ tls: { caFile: certs.caFile, certFile: certs.certFile, keyFile: certs.keyFile } });
  try {
    assert.ok(m.tlsPort && m.tlsPort !== m.port);
    const { readFileSync } = await import("node:fs");
    const c = await mqtt.connectAsync("mqtts://127.0.0.1:" + m.tlsPort, {
      ca: readFileSync(certs.caFile),
      reconnectPeriod: 0,
    });
    assert.ok(c.connected);
    await c.endAsync();
  } finally {
    await m.stop();
    certs.cleanup();
  }
});

test("aedes: authenticate hook refuses with the chosen return code", async () => {
  const b = await startAedes({ authenticate: (_id, user) => (user === "bob" ? true : user === "eve" ? 4 : false) });
  try {
    assert.is(await connackCode(b.url, { username: "eve", password: "x" }), 4);
    assert.is(await connackCode(b.url, { username: "mallory", password: "x" }), 5);
    const c = await mqtt.connectAsync(b.url, { username: "bob", password: "x", reconnectPeriod: 0 });
    await c.subscribeAsync("a/#", { qos: 2 });
    const got = nextMessage(c);
    await c.publishAsync("a/b", "hi", { qos: 2 });
    assert.is((await got).payload.toString(), "hi");
    await c.endAsync();
  } finally {
    await b.stop();
  }
});

test("proxy: counts bytes, delays, cuts after exactly N bytes, drops silently", async () => {
  const b = await startAedes();
  const p = await startProxy({ port: b.port });
  try {
    // CONNECT of MQTT.js with clientId "px" (3.1.1, keepalive 60) is 16 bytes; CONNACK is 4.
    const c = await mqtt.connectAsync(p.url, { clientId: "px", reconnectPeriod: 0, keepalive: 60 });
    assert.is(p.bytesUp, 16);
    assert.is(p.bytesDown, 4);
    assert.is(p.accepted, 1);

    p.setDelay(150);
    await c.subscribeAsync("d", { qos: 0 });
    const t0 = Date.now();
    const got = nextMessage(c);
    c.publish("d", "x", { qos: 0 });
    await got;
    assert.ok(Date.now() - t0 >= 290, "two delayed hops");
    p.setDelay(0);

    // Cut after 5 bytes of the next broker -> client traffic: a 9-byte
    // PUBLISH (topic "d", payload "hello") arrives truncated, then the link closes.
    const cut = p.cutAfter(5, "down");
    const closed = new Promise<void>((r) => c.once("close", () => r()));
    let messages = 0;
    c.on("message", () => messages++);
    c.publish("d", "hello", { qos: 0 });
    const link = await cut;
    await closed;
    assert.is(messages, 0);
    assert.is(link.down, 4 + 5 + 6 + 5); // CONNACK + SUBACK + PUBLISH d/x + the cut head
    c.end(true);

    // Drop: the raw socket stays open but nothing flows either way.
    const raw = netConnect(p.port, "127.0.0.1");
    await new Promise((r) => raw.once("connect", r));
    await new Promise((r) => setTimeout(r, 50));
    p.drop();
    let rx = 0;
    raw.on("data", (d) => (rx += d.length));
    const up0 = p.bytesUp;
    // A valid CONNECT: would get a CONNACK if forwarded.
    raw.write(Buffer.from([16, 12, 0, 4, 77, 81, 84, 84, 4, 2, 0, 60, 0, 0]));
    await new Promise((r) => setTimeout(r, 200));
    assert.is(rx, 0);
    assert.is(p.bytesUp, up0);
    assert.not.ok(raw.destroyed);
    raw.destroy();

    // Blackhole: new links are accepted and never answered.
    p.blackhole(true);
    const r2 = netConnect(p.port, "127.0.0.1");
    let rx2 = 0;
    r2.on("data", (d) => (rx2 += d.length));
    await new Promise((r) => r2.once("connect", r));
    r2.write(Buffer.from([16, 12, 0, 4, 77, 81, 84, 84, 4, 2, 0, 60, 0, 0]));
    await new Promise((r) => setTimeout(r, 200));
    assert.is(rx2, 0);
    r2.destroy();
    p.blackhole(false);
  } finally {
    await p.stop();
    await b.stop();
  }
});

test.run();
