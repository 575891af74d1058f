/** Bad input from the caller and from the broker, the offline queue in the client, MQTT 5.0 specifics. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { connect, parseUrl } from "../src/client/index";
import { bytes, setup, take, vhal, CONNACK } from "./support/virtual";

test("caller bad input: error via callback, synchronously; nothing sent, nothing queued", () => {
  for (const online of [true, false]) {
    const { hal, client, events } = setup({ maxPacketSize: 64 }, online);
    const codes: string[] = [];
    const cb = (e: any) => codes.push(e && e.code);
    client.publish("a/+", "x", cb);
    client.publish("a/#", "x", cb);
    client.publish("", "x", cb);
    client.publish(3 as any, "x", cb);
    client.publish("t", "x", { qos: 3 as any }, cb);
    client.publish("t", "x", { qos: -1 as any }, cb);
    client.publish("t", 42 as any, cb);
    client.publish("t", new Uint8Array(60), cb); // 2+1+2+60 + header > 64
    client.publish("t", "€".repeat(20), { qos: 1 }, cb); // 60 UTF-8 bytes
    client.subscribe("a#", cb);
    client.subscribe(["ok", "a/+b"], cb);
    client.subscribe({ x: 3 as any }, cb);
    client.subscribe([], cb);
    client.unsubscribe("#/a", cb);
    client.unsubscribe([], cb);
    assert.equal(codes, [
      "BAD_TOPIC", "BAD_TOPIC", "BAD_TOPIC", "BAD_TOPIC", "BAD_QOS", "BAD_QOS", "BAD_PAYLOAD",
      "PACKET_TOO_LARGE", "PACKET_TOO_LARGE", "BAD_FILTER", "BAD_FILTER", "BAD_FILTER", "BAD_FILTER", "BAD_FILTER", "BAD_FILTER",
    ]);
    assert.equal(events, []);
    assert.is(client._q._a.length, 0);
    assert.is(client._out.length, 0);
    assert.equal(Object.keys(client._subs), []);
    if (online) assert.equal(take(hal.c()), []);
    // no callback: the error event
    client.publish("a/+", "x");
    assert.equal(events, ["error:BAD_TOPIC"]);
    // a payload that just fits is accepted (59 + 5 = 64)
    client.publish("t", new Uint8Array(59 - 3 - 2 + 0), cb);
    assert.is(codes.length, 15 + (online ? 1 : 0));
  }
});

function brokerSends(hex: string, opts = {}) {
  const s = setup(Object.assign({ reconnect: { min: 100, jitter: 0 } }, opts));
  const c = s.hal.c();
  c.h.onData(bytes(hex));
  return { ...s, c };
}

test("broker bad input: malformed / unexpected / oversize -> error naming it, destroy, reconnect", () => {
  const cases: [string, string, object?][] = [
    ["0000", "BAD_TYPE"], // reserved type 0
    ["3003000574", "MALFORMED"], // topic length 5 in a 3-byte body
    ["20020000", "PROTOCOL"], // CONNACK while connected
    ["82060001000161 00", "BAD_TYPE"], // SUBSCRIBE from a server: a type no client receives
    ["c000", "BAD_TYPE"], // PINGREQ from a server: a type no client receives
    ["31030001 2b", "PROTOCOL"], // PUBLISH to a wildcard topic
    ["ffffffffff", "BAD_LENGTH"],
    // (16: the 15-byte CONNECT must fit, a CONNECT the limit refuses is itself PACKET_TOO_LARGE)
    ["30 11 0001 74 " + "00".repeat(14), "PACKET_TOO_LARGE", { maxPacketSize: 16 }],
  ];
  for (const [hex, code, opts] of cases) {
    const { hal, c, events, messages } = brokerSends(hex, opts);
    assert.equal(events.slice(0, 3), ["error:" + code, "close", "offline"], hex);
    assert.is(c.destroyed, true);
    assert.is(messages.length, 0, hex);
    hal.clock.advance(100);
    assert.is(hal.conns.length, 2, hex);
  }
});

test("broker bad input: packets after the bad one in the same chunk are not handled", () => {
  const { c, events, messages } = brokerSends("0000 30030001 74 30030001 74");
  assert.is(messages.length, 0);
  assert.is(c.destroyed, true);
  assert.equal(events, ["error:BAD_TYPE", "close", "offline"]);
});

test("packets split anywhere across chunks", () => {
  const { hal, messages } = setup();
  const all = bytes("32080003612f6200077a 30030001 74");
  for (let i = 0; i < all.length; i++) hal.c().h.onData(all.subarray(i, i + 1));
  assert.equal(messages.map((m) => m[0]), ["a/b", "t"]);
  assert.equal(take(hal.c()), ["40020007"]);
});

test("offline queue drop-oldest: bounded, each drop reported to its callback and as `drop`", () => {
  const { hal, client, events } = setup({ queue: { limit: 2 } }, false);
  const log: string[] = [];
  const drops: string[] = [];
  client.on("drop", (p: any, e: any) => drops.push(p.topic + ":" + e.code));
  client.publish("a", "a"); // no callback: its drop is an error event
  for (const t of ["b", "c", "d"]) client.publish(t, t, { qos: 1 }, (e: any) => log.push(t + ":" + (e ? e.code : "ok")));
  assert.equal(log, ["b:QUEUE_DROPPED"]);
  assert.equal(drops, ["a:QUEUE_DROPPED", "b:QUEUE_DROPPED"]);
  assert.equal(events, ["error:QUEUE_DROPPED"]);
  client.connect();
  hal.c().h.onOpen();
  take(hal.c());
  hal.c().h.onData(bytes(CONNACK));
  // the queue goes out in order once connected
  assert.equal(take(hal.c()), ["3206000163" + "0001" + "63", "3206000164" + "0002" + "64"]);
  hal.c().h.onData(bytes("40020002 40020001"));
  assert.equal(log, ["b:QUEUE_DROPPED", "d:ok", "c:ok"]);
});

test("offline queue drop-new rejects the new publish; latest keeps one per topic; byte bound", () => {
  let s = setup({ queue: { limit: 2, policy: "drop-new" } }, false);
  let log: string[] = [];
  for (const t of ["a", "b", "c"]) s.client.publish(t, t, (e: any) => log.push(t + ":" + (e ? e.code : "ok")));
  assert.equal(log, ["c:QUEUE_DROPPED"]);
  assert.equal(s.client._q._a.map((e) => e.p.topic), ["a", "b"]);

  s = setup({ queue: { limit: 3, policy: "latest" } }, false);
  log = [];
  s.client.publish("t", "1", (e: any) => log.push("1:" + (e ? e.code : "ok")));
  s.client.publish("u", "2", (e: any) => log.push("2:" + (e ? e.code : "ok")));
  s.client.publish("t", "3", (e: any) => log.push("3:" + (e ? e.code : "ok")));
  assert.equal(log, ["1:QUEUE_DROPPED"]);
  assert.equal(s.client._q._a.map((e) => e.p.payload), ["2", "3"]);
  s.client.connect();
  s.hal.c().h.onOpen();
  take(s.hal.c());
  s.hal.c().h.onData(bytes(CONNACK));
  assert.equal(take(s.hal.c()), ["3004000175" + "32", "3004000174" + "33"]);
  assert.equal(log, ["1:QUEUE_DROPPED", "2:ok", "3:ok"]);

  s = setup({ queue: { bytes: 10 } }, false);
  log = [];
  s.client.publish("t", "12345", (e: any) => log.push("a:" + (e ? e.code : "ok")));
  s.client.publish("t", "1234", (e: any) => log.push("b:" + (e ? e.code : "ok")));
  assert.equal(log, ["a:QUEUE_DROPPED"]);
  s.client.publish("t", "1234567890", (e: any) => log.push("c:" + (e ? e.code : "ok")));
  assert.equal(log, ["a:QUEUE_DROPPED", "c:QUEUE_DROPPED"]);
  assert.is(s.client._q._a.length, 1);
});

test("connect(url): mqtt:// and mqtts:// targets, dials at once", () => {
  assert.equal(parseUrl("mqtt://broker.local"), { host: "broker.local", port: 1883, tls: false });
  assert.equal(parseUrl("mqtts://u:p@h:1234"), { host: "h", port: 1234, tls: true, username: "u", password: "p" });
  assert.equal(parseUrl("tls://h"), { host: "h", port: 8883, tls: true });
  assert.equal(parseUrl("mqtt://user@10.0.0.2:1884/x"), { host: "10.0.0.2", port: 1884, tls: false, username: "user" });
  assert.equal(parseUrl("ssl://u:p:q@h"), { host: "h", port: 8883, tls: true, username: "u", password: "p:q" });
  assert.equal(parseUrl("mqtt://u:@h:"), { host: "h", port: 1883, tls: false, username: "u" });
  assert.equal(parseUrl("broker:1999"), { host: "broker", port: 1999, tls: false });
  const hal = vhal();
  const c = connect("mqtts://example:8884", hal, { clientId: "x" });
  assert.is(hal.conns.length, 1);
  assert.equal(
    { host: hal.c().target.host, port: hal.c().target.port, tls: hal.c().target.tls },
    { host: "example", port: 8884, tls: true },
  );
  assert.is(c._o.clientId, "x");
});

test("MQTT 5.0: CONNECT level 5 with properties, serverKeepAlive, receiveMaximum, reason codes as errors", () => {
  const { hal, client, events } = setup({ protocolVersion: 5, keepalive: 60, properties: { sessionExpiryInterval: 10 }, inflightWindow: 8 }, false);
  client.connect();
  hal.c().h.onOpen();
  // props: len 05, 11 (session expiry) 0000000a
  assert.equal(take(hal.c()), ["101300044d5154540502003c05110000000a000163"]);
  // CONNACK with serverKeepAlive 5 (13 0005) and receiveMaximum 1 (21 0001)
  hal.c().h.onData(bytes("2009 00 00 06 130005 210001"));
  assert.equal(events, ["connect"]);
  const log: string[] = [];
  client.publish("t", "a", { qos: 1 }, (e: any) => log.push("a:" + (e ? e.code + " " + e.message : "ok")));
  client.publish("t", "b", { qos: 1, properties: { contentType: "x" } }, (e: any) => log.push("b:" + (e ? e.code : "ok")));
  // window 1: only a goes; 5.0 PUBLISH has a property length byte
  assert.equal(take(hal.c()), ["3207000174000100" + "61"]);
  // PUBACK reason 0x87 (not authorized): error to the callback, window frees, b goes
  hal.c().h.onData(bytes("4003000187"));
  assert.equal(log, ["a:ACK_FAILED ACK_FAILED: 135"]);
  assert.equal(take(hal.c()), ["320b00017400020403000178" + "62"]);
  // serverKeepAlive 5 s governs the PINGREQ
  hal.clock.advance(5000);
  assert.equal(take(hal.c()), ["c000"]);
  // server DISCONNECT with reason 0x8e (session taken over)
  hal.c().h.onData(bytes("e0018e"));
  assert.equal(events.slice(1), ["error:DISCONNECTED", "close", "offline"]);
});

test("MQTT 5.0: CONNACK reason >= 0x80 is CONNACK_REFUSED", () => {
  const { hal, client, errors } = setup({ protocolVersion: 5 }, false);
  client.connect();
  hal.c().h.onOpen();
  hal.c().h.onData(bytes("2003 00 86 00"));
  assert.is(errors[0].code, "CONNACK_REFUSED");
  assert.is(errors[0].message, "CONNACK_REFUSED: 134");
  assert.is(hal.c().destroyed, true);
});

test.run();
