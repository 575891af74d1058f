/**
 * The real tiny bundle (dist/esp32-tiny.js, built in memory exactly like
 * `npm run build`) run in this process on Espruino's semantics (the
 * stand-in: binary-string sockets in chunks of at most 536 bytes over real
 * TCP, every object with on/emit) against two real brokers: aedes in-process
 * and a mosquitto process (test/support/board-brokers.ts). Each test gets its
 * own broker, stand-in and sockets, all torn down after it.
 */
import * as assert from "uvu/assert";
import { buildBoardBundle } from "../scripts/lib/bundle";
import { loadBoard } from "../scripts/lib/boards";
import { runBundle } from "./support/espruino-bundle";
import { ALL_BYTES, BIG, assertOneDial, broker, count, latin1, peer, perBroker, proxy, sleep, until, type Ctx } from "./support/board-brokers";

// ---------------------------------------------------------------- helpers

let bundleCode: Promise<string> | undefined;
/** The esp32 tiny bundle, built once per run (in memory, as `npm run build` builds it). */
function tinyBundle(): Promise<string> {
  return (bundleCode ||= buildBoardBundle(loadBoard("esp32"), "tiny").then((b) => b.code));
}

interface Rec {
  /** Events in order: "connect", "close", "error CODE: detail", ... */
  events: string[];
  /** Messages as [topic, payload] (binary strings as delivered). */
  messages: [string, string][];
}

/** Connect a tiny client (the bundle's `connect`), recording its events and messages. */
async function tiny(c: Ctx, opts: Record<string, unknown>): Promise<{ client: any; rec: Rec }> {
  if (!c.bundle) c.bundle = runBundle(await tinyBundle(), { chip: "ESP32" });
  const rec: Rec = { events: [], messages: [] };
  const client = c.bundle.exports.connect({ reconnect: { min: 20, max: 100 }, ...opts });
  c.clients.push(client);
  for (const ev of ["connect", "close", "offline", "reconnect", "end"]) client.on(ev, () => rec.events.push(ev));
  client.on("error", (e: Error & { code: string }) => rec.events.push("error " + e.message));
  client.on("message", (t: string, p: string) => rec.messages.push([t, p]));
  return { client, rec };
}

/** CONNECT 3.1.1 as the tiny client writes it: clean session, keepalive 60 (the esp32 default). */
function connectBytes(id: string, user?: string, pass?: string): string {
  const s = (x: string) => String.fromCharCode(x.length >> 8, x.length & 255) + x;
  const body = s("MQTT") + "\x04" + String.fromCharCode(2 | (user != null ? 128 : 0) | (pass != null ? 64 : 0)) + "\x00\x3c" + s(id) + (user != null ? s(user) : "") + (pass != null ? s(pass) : "");
  return "\x10" + String.fromCharCode(body.length) + body;
}

// ---------------------------------------------------------------- the tests, once per broker

perBroker("tiny bundle", (t, kind) => {
  t("connects: CONNECT 3.1.1 on the wire, CONNACK accepted, one connect event", async (c) => {
    const b = await broker(c, kind);
    const { rec } = await tiny(c, { host: b.host, port: b.port, clientId: "tiny-c" });
    await until("connect", () => rec.events.length > 0);
    assert.equal(rec.events, ["connect"]);
    assertOneDial(c, b, connectBytes("tiny-c"));
  });

  t("subscribes and receives its own publishes: exact topics and bytes, one 3,000-byte PUBLISH reassembled from 536-byte chunks", async (c) => {
    const b = await broker(c, kind);
    const { client, rec } = await tiny(c, { host: b.host, port: b.port, clientId: "tiny-self" });
    await until("connect", () => rec.events.includes("connect"));
    client.subscribe(["self/#", "other/+"]);
    await b.subscribed("tiny-self", "self/#");
    await b.subscribed("tiny-self", "other/+");
    const sent: [string, string][] = [
      ["self/all", ALL_BYTES],
      ["self/big", BIG],
      ["self/empty", ""],
      ["other/x", "\x00\xff\r\n"],
      ["self/a/b/c", "text"],
    ];
    const done: (string | undefined)[] = [];
    for (const [topic, payload] of sent) client.publish(topic, payload, (e?: Error & { code: string }) => done.push(e && e.code));
    client.publish("nobody/listens", "x");
    // a QoS 0 publish is done once written
    assert.equal(done, [undefined, undefined, undefined, undefined, undefined]);
    await until("5 messages", () => rec.messages.length >= 5);
    await sleep(50);
    assert.equal(rec.messages, sent);
    assert.equal(rec.events, ["connect"]);
    const st = c.bundle!.standin;
    assert.is(st.net.maxChunk, 536);
    assert.ok(st.net.chunks >= 9, `chunks ${st.net.chunks}`); // CONNACK, SUBACK, >= 6 for BIG, the others
    // SUBSCRIBE: packet id 1, both filters at QoS 0 in one packet
    assert.is(st.net.writes[1], "\x82\x15\x00\x01" + "\x00\x06self/#\x00" + "\x00\x07other/+\x00");
    // PUBLISH QoS 0 of BIG: 0x30, remaining length 3010 as a two-byte varint (c2 17), topic, payload
    assert.is(st.net.writes[3], "\x30\xc2\x17\x00\x08self/big" + BIG);
    assert.equal(st.violations, []);
  });

  t("a retained message reaches the tiny client on subscribe; its own retained publish reaches a later subscriber", async (c) => {
    const b = await broker(c, kind);
    const p = await peer(c, b.url, "peer-ret");
    await new Promise<void>((r, j) => p.publish("ret/in", latin1(ALL_BYTES), { qos: 1, retain: true }, (e) => (e ? j(e) : r())));
    const { client, rec } = await tiny(c, { host: b.host, port: b.port, clientId: "tiny-ret" });
    await until("connect", () => rec.events.includes("connect"));
    client.subscribe("ret/in");
    await until("the retained message", () => rec.messages.length > 0);
    client.publish("ret/out", BIG, { retain: true });
    await sleep(50);
    assert.equal(rec.messages, [["ret/in", ALL_BYTES]]);
    // The retained flag on the wire: 0x31.
    assert.is(c.bundle!.standin.net.writes[2].slice(0, 3), "\x31\xc1\x17");
    const later = await peer(c, b.url, "peer-later");
    const got: [string, string, boolean][] = [];
    later.on("message", (topic, payload, packet) => got.push([topic, payload.toString("latin1"), packet.retain]));
    await new Promise<void>((r, j) => later.subscribe("ret/out", { qos: 0 }, (e) => (e ? j(e) : r())));
    await until("retained ret/out", () => got.length > 0);
    assert.equal(got, [["ret/out", BIG, true]]);
  });

  t("an MQTT.js peer and the tiny client exchange exact bytes both ways", async (c) => {
    const b = await broker(c, kind);
    const p = await peer(c, b.url, "peer-x");
    const got: [string, string][] = [];
    p.on("message", (topic, payload) => got.push([topic, payload.toString("latin1")]));
    await new Promise<void>((r, j) => p.subscribe("to/peer/#", { qos: 0 }, (e) => (e ? j(e) : r())));
    const { client, rec } = await tiny(c, { host: b.host, port: b.port, clientId: "tiny-x" });
    await until("connect", () => rec.events.includes("connect"));
    client.subscribe("to/tiny");
    await b.subscribed("tiny-x", "to/tiny");
    client.publish("to/peer/1", ALL_BYTES);
    client.publish("to/peer/2", BIG);
    for (const [payload, qos] of [[ALL_BYTES, 0], [BIG, 1], ["", 2]] as const) {
      await new Promise<void>((r, j) => p.publish("to/tiny", latin1(payload), { qos }, (e) => (e ? j(e) : r())));
    }
    await until("2 at the peer, 3 at the tiny client", () => got.length >= 2 && rec.messages.length >= 3);
    await sleep(50);
    assert.equal(got, [["to/peer/1", ALL_BYTES], ["to/peer/2", BIG]]);
    // QoS 1 and 2 publishes reach a QoS 0 subscription at QoS 0 [MQTT-3.8.4-6]
    assert.equal(rec.messages, [["to/tiny", ALL_BYTES], ["to/tiny", BIG], ["to/tiny", ""]]);
    assert.equal(rec.events, ["connect"]);
    assert.equal(c.bundle!.standin.violations, []);
  });

  for (const [what, creds, code] of [
    ["a wrong password", { username: "u", password: "wrong" }, kind.refused.wrongPassword],
    ["no credentials", {}, kind.refused.anonymous],
  ] as const) {
    t(`${what} is refused (CONNACK_REFUSED: ${code}) and retried after a backoff; end() stops the retries; the right password connects`, async (c) => {
      const b = await broker(c, kind, { auth: true });
      const { client, rec } = await tiny(c, { host: b.host, port: b.port, clientId: "tiny-auth", ...creds });
      // end from the third close: no timer may be left to dial again
      let closes = 0;
      client.on("close", () => ++closes == 3 && client.end());
      await until("end", () => rec.events.includes("end"));
      const refused = "error CONNACK_REFUSED: " + code;
      assert.equal(rec.events, [refused, "close", "reconnect", refused, "close", "reconnect", refused, "close", "end"]);
      const st = c.bundle!.standin;
      await sleep(300); // many backoff periods (20..100 ms): no new attempt
      assert.is(st.net.sockets.length, 3);
      assert.is(rec.events.length, 9);
      const hello = connectBytes("tiny-auth", (creds as any).username, (creds as any).password);
      assert.equal(st.net.writes, [hello, hello, hello]);

      const ok = await tiny(c, { host: b.host, port: b.port, clientId: "tiny-auth2", username: "u", password: "right" });
      await until("connect", () => ok.rec.events.length > 0);
      assert.equal(ok.rec.events, ["connect"]);
      assert.is(st.net.writes[3], connectBytes("tiny-auth2", "u", "right"));
    });
  }

  t("the broker goes away and comes back: close, offline, reconnect, connect; the subscription is renewed and messages flow again", async (c) => {
    const b = await broker(c, kind);
    // aedes cannot be restarted on its port by the helper: a proxy in front of it cuts every link instead
    let target = { host: b.host, port: b.port };
    let restart = b.restart;
    if (!restart) {
      const px = await proxy(c, b);
      target = { host: px.host, port: px.port };
      restart = async () => px.closeAll();
    }
    const { client, rec } = await tiny(c, { ...target, clientId: "tiny-rs" });
    await until("connect", () => rec.events.includes("connect"));
    client.subscribe("rs/#");
    await b.subscribed("tiny-rs", "rs/#", 1);
    for (let i = 1; i <= 3; i++) client.publish("rs/before", "b" + i);
    await until("3 messages", () => rec.messages.length >= 3);

    await restart();
    await until("connect again", () => count(rec.events, "connect") == 2);
    await b.subscribed("tiny-rs", "rs/#", 2);
    for (let i = 1; i <= 4; i++) client.publish("rs/after", "a" + i);
    await until("7 messages", () => rec.messages.length >= 7);
    await sleep(50);
    assert.equal(rec.messages, [
      ["rs/before", "b1"], ["rs/before", "b2"], ["rs/before", "b3"],
      ["rs/after", "a1"], ["rs/after", "a2"], ["rs/after", "a3"], ["rs/after", "a4"],
    ]);
    const ev = rec.events.join(",");
    if (kind.name == "aedes") {
      // the proxy accepts at once: the first attempt succeeds
      assert.is(ev, "connect,close,offline,reconnect,connect");
    } else {
      // attempts made while mosquitto is down are refused (NET), then one gets through
      assert.match(ev, /^connect,close,offline,(reconnect,error NET: connection reset,close,)*reconnect,connect$/);
    }
    // the renewed SUBSCRIBE on the new connection takes the next packet id
    const st = c.bundle!.standin;
    const subs = st.net.writes.filter((w) => w.charCodeAt(0) == 0x82);
    assert.equal(subs, ["\x82\x09\x00\x01\x00\x04rs/#\x00", "\x82\x09\x00\x02\x00\x04rs/#\x00"]);
    // one CONNECT per connection opened; a refused attempt writes nothing
    assert.is(count(st.net.writes, connectBytes("tiny-rs")), 2);
    assert.is(st.net.sockets.length, 2 + count(rec.events, "error NET: connection reset"));
    assert.equal(st.violations, []);
  });

  t("end() sends DISCONNECT and closes; the broker sees a clean disconnect; no further connection attempts", async (c) => {
    const b = await broker(c, kind);
    const px = await proxy(c, b);
    const up: string[] = [];
    px.tap = (dir, _l, chunk) => dir == "up" && up.push(chunk.toString("latin1"));
    const { client, rec } = await tiny(c, { host: px.host, port: px.port, clientId: "tiny-end" });
    await until("connect", () => rec.events.includes("connect"));
    client.subscribe("end/#");
    await b.subscribed("tiny-end", "end/#");
    client.end();
    // (end() is not "offline": that reports a lost connection)
    assert.equal(rec.events, ["connect", "close", "end"]);
    await kind.sawDisconnect(b, "tiny-end");
    await until("the link closed", () => px.active().length == 0);
    assert.is(up.join(""), connectBytes("tiny-end") + "\x82\x0a\x00\x01\x00\x05end/#\x00" + "\xe0\x00");
    await sleep(300); // many backoff periods: nothing dials again
    assert.is(px.accepted, 1);
    assert.is(c.bundle!.standin.net.sockets.length, 1);
    assert.equal(rec.events, ["connect", "close", "end"]);
    // a publish after end() is refused, not written
    const errs: string[] = [];
    client.publish("end/x", "1", (e?: Error & { code: string }) => errs.push(e ? e.code : "ok"));
    assert.equal(errs, ["OFFLINE"]);
  });

  t("a packet over the board's maximum (16,384 B) drops the connection with PACKET_TOO_LARGE; it reconnects and resubscribes", async (c) => {
    const b = await broker(c, kind);
    const p = await peer(c, b.url, "peer-big");
    const { client, rec } = await tiny(c, { host: b.host, port: b.port, clientId: "tiny-big" });
    await until("connect", () => rec.events.includes("connect"));
    client.subscribe("big/#");
    await b.subscribed("tiny-big", "big/#");
    await new Promise<void>((r, j) => p.publish("big/1", Buffer.alloc(20000, 0x41), { qos: 0 }, (e) => (e ? j(e) : r())));
    await until("connect again", () => count(rec.events, "connect") == 2);
    await b.subscribed("tiny-big", "big/#", 2);
    await new Promise<void>((r, j) => p.publish("big/2", latin1(BIG), { qos: 0 }, (e) => (e ? j(e) : r())));
    await until("a message", () => rec.messages.length > 0);
    await sleep(50);
    assert.equal(rec.messages, [["big/2", BIG]]);
    assert.equal(rec.events, ["connect", "error PACKET_TOO_LARGE", "close", "offline", "reconnect", "connect"]);
  });

});
