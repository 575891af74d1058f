/** MQTT 3.1.1 conformance of the client session, found in review: one behaviour per test, exact bytes and states. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { bytes, setup, take } from "./support/virtual";

test("[MQTT-3.1.2-22] 3.1.1: a password without a username is not sent (password flag 0)", () => {
  const { hal, client } = setup({ password: "pw" }, false);
  client.connect();
  hal.c().h.onOpen();
  // 10 0d | 0004 MQTT | 04 | flags 02 (clean only) | 003c | 0001 "c"
  assert.equal(take(hal.c()), ["100d00044d5154540402003c000163"]);
});

test("[MQTT-3.1.3-7] 3.1.1: a zero-byte client id is sent with CleanSession 1 even when clean=false", () => {
  const { hal, client } = setup({ clientId: "", clean: false }, false);
  client.connect();
  hal.c().h.onOpen();
  // 10 0c | 0004 MQTT | 04 | flags 02 | 003c | 0000
  assert.equal(take(hal.c()), ["100c00044d5154540402003c0000"]);
});

test("[MQTT-2.2.3] SUBSCRIBE over maxPacketSize: PACKET_TOO_LARGE to the callback at once, nothing tracked or routed", () => {
  const { hal, client, events } = setup({ maxPacketSize: 20 });
  const codes: string[] = [];
  client.subscribe("a".repeat(30), { handler: () => 0 }, (e: any) => codes.push(e && e.code));
  assert.equal(codes, ["PACKET_TOO_LARGE"]);
  assert.equal(take(hal.c()), []);
  assert.is(client._out.length, 0);
  assert.is(client._r.length, 0);
  assert.equal(events, []);
  // it would have waited forever: later work still gets ids from 1
  client.subscribe("ok");
  assert.equal(take(hal.c()), ["8207000100026f6b00"]);
});

test("[MQTT-2.2.3] UNSUBSCRIBE over maxPacketSize: PACKET_TOO_LARGE at once, subscription and routes kept", () => {
  const { hal, client } = setup({ maxPacketSize: 20 });
  const long = "b".repeat(30);
  const codes: string[] = [];
  client.route(long, () => 0);
  client.unsubscribe(long, (e: any) => codes.push(e && e.code));
  assert.equal(codes, ["PACKET_TOO_LARGE"]);
  assert.equal(take(hal.c()), []);
  assert.is(client._out.length, 0);
  assert.is(client._r.length, 2);
});

test("end() after a drop with reconnect:false: unacknowledged and queued publishes get ENDED exactly once", () => {
  const { hal, client } = setup({ reconnect: false });
  const log: string[] = [];
  client.publish("t", "x", { qos: 1 }, (e: any) => log.push("x:" + (e && e.code)));
  hal.c().h.onClose();
  assert.is(client._s, 4);
  client.publish("t", "y", { qos: 1 }, (e: any) => log.push("y:" + (e && e.code)));
  client.end();
  assert.equal(log, ["x:ENDED", "y:ENDED"]);
  assert.is(client._out.length, 0);
  assert.is(client._q._a.length, 0);
  client.end();
  assert.equal(log, ["x:ENDED", "y:ENDED"]);
});

test("publish with an undefined topic or payload: BAD_TOPIC / BAD_PAYLOAD to the callback, no TypeError", () => {
  const { hal, client } = setup();
  const codes: string[] = [];
  client.publish(undefined as any, "x", (e: any) => codes.push(e.code));
  client.publish("t", undefined as any, (e: any) => codes.push(e.code));
  client.publish("t", null as any, { qos: 1 }, (e: any) => codes.push(e.code));
  assert.equal(codes, ["BAD_TOPIC", "BAD_PAYLOAD", "BAD_PAYLOAD"]);
  assert.equal(take(hal.c()), []);
  assert.is(client._out.length, 0);
});

test("a message listener that throws: the exception reaches the caller, and the packets after it in the chunk are still handled", () => {
  const { hal, client } = setup();
  const log: string[] = [];
  client.publish("t", "x", { qos: 1 }, (e: any) => log.push("puback " + e));
  take(hal.c());
  client.on("message", () => {
    throw new Error("boom");
  });
  // PUBLISH QoS 0 "a" | PUBACK 1 | the first 2 bytes of PUBACK 2
  assert.throws(() => hal.c().h.onData(bytes("3003000161 40020001 4002")), /boom/);
  assert.equal(log, ["puback undefined"]);
  assert.is(client._out.length, 0);
  // the stream stays in sync: the split packet completes, nothing is dropped
  hal.c().h.onData(bytes("0002 d000"));
  assert.is(client._s, 3);
  assert.equal(take(hal.c()), []);
});

test("a publish callback that throws on PUBACK: the next queued publish is still sent (in-flight window 1)", () => {
  const { hal, client } = setup({ inflightWindow: 1 });
  client.publish("t", "a", { qos: 1 }, () => {
    throw new Error("cb");
  });
  client.publish("t", "b", { qos: 1 });
  // 32 06 | 0001 "t" | id 0001 | "a"
  assert.equal(take(hal.c()), ["3206000174000161"]);
  assert.throws(() => hal.c().h.onData(bytes("40020001")), /cb/);
  assert.equal(take(hal.c()), ["3206000174000262"]);
  assert.is(client._q._a.length, 0);
});

test("subscribe then unsubscribe before SUBACK: the late SUBACK does not bring the filter back, no resubscribe on a new session", () => {
  const { hal, client } = setup({ reconnect: { min: 10, jitter: 0 } });
  client.subscribe("a");
  client.unsubscribe("a");
  // 82 06 | 0001 | 0001 "a" 00 ; a2 05 | 0002 | 0001 "a"
  assert.equal(take(hal.c()), ["820600010001" + "6100", "a2050002000161"]);
  hal.c().h.onData(bytes("9003000100 b0020002"));
  assert.equal(Object.keys(client._subs), []);
  hal.c().h.onClose();
  hal.clock.advance(10);
  hal.c().h.onOpen();
  take(hal.c());
  hal.c().h.onData(bytes("20020000"));
  assert.equal(take(hal.c()), []);
});

test("MQTT 5.0 [MQTT-3.11.3]: UNSUBACK reason code 0x87 -> ACK_FAILED to the unsubscribe callback", () => {
  const { hal, client } = setup({ protocolVersion: 5 }, false);
  client.connect();
  hal.c().h.onOpen();
  hal.c().h.onData(bytes("2003000000"));
  take(hal.c());
  const log: string[] = [];
  client.unsubscribe(["a", "b"], (e: any) => log.push(e ? e.code + " " + e.message : "ok"));
  // a2 09 | 0001 | props 00 | 0001 "a" | 0001 "b"
  assert.equal(take(hal.c()), ["a20900010000016100" + "0162"]);
  // b0 05 | 0001 | props 00 | 00 87
  hal.c().h.onData(bytes("b005000100 0087"));
  // the message names the reason code the server gave (0x87 = 135, not authorized)
  assert.equal(log, ["ACK_FAILED ACK_FAILED: 135"]);
  assert.is(client._out.length, 0);
});

test("[MQTT-3.1.2-10] keepalive outside 0..65535 whole seconds: BAD_OPTION thrown, nothing dialed", () => {
  for (const keepalive of [70000, -1, 0.5]) {
    let code = "";
    try {
      setup({ keepalive }, false);
    } catch (e: any) {
      code = e.code + " " + e.message;
    }
    assert.is(code, "BAD_OPTION BAD_OPTION: keepalive " + keepalive);
  }
});

test("[MQTT-3.1.2-14] a will with QoS 3 or a wildcard topic: BAD_OPTION thrown", () => {
  for (const will of [{ topic: "a", payload: "x", qos: 3 }, { topic: "a/#", payload: "x", qos: 0 }, { topic: "", payload: "x" }]) {
    let code = "";
    try {
      setup({ will } as any, false);
    } catch (e: any) {
      code = e.code + " " + e.message;
    }
    assert.is(code, "BAD_OPTION BAD_OPTION: will");
  }
});

test("[MQTT-2.3.1-1] an incoming QoS 1 PUBLISH with packet id 0: PROTOCOL error, no PUBACK, no message", () => {
  const { hal, client, events } = setup({}, false);
  client.connect();
  hal.c().h.onOpen();
  hal.c().h.onData(bytes("20020000"));
  take(hal.c());
  let messages = 0;
  client.on("message", () => messages++);
  // 32 06 | 0001 "t" | id 0000 | "x"
  hal.c().h.onData(bytes("32060001740000 78"));
  assert.is(messages, 0);
  assert.equal(take(hal.c()), []);
  assert.is(hal.c().destroyed, true);
  assert.ok(events.includes("error:PROTOCOL"));
});

/** A 5.0 client, opened, CONNECT taken; CONNACK (hex) not yet given unless `connack`. */
function v5(connack?: string, opts: any = {}) {
  const r = setup(Object.assign({ protocolVersion: 5, reconnect: { min: 10, jitter: 0 } }, opts), false);
  r.client.connect();
  r.hal.c().h.onOpen();
  take(r.hal.c());
  if (connack) r.hal.c().h.onData(bytes(connack));
  return r;
}

test("MQTT 5.0 [MQTT-3.2.2-15] server Maximum Packet Size: larger publishes (also queued before CONNACK) fail with PACKET_TOO_LARGE, unwritten, not in flight", () => {
  const { hal, client } = v5();
  const log: string[] = [];
  const cb = (n: string) => (e: any) => log.push(n + ":" + (e ? e.code : "ok"));
  const big = "x".repeat(30);
  // queued while CONNECTING
  client.publish("t", big, { qos: 1 }, cb("q1"));
  client.publish("t", big, cb("q0"));
  client.publish("t", "s", cb("small"));
  // 20 08 | 00 00 | props 05: 27 00000014 (20 bytes)
  hal.c().h.onData(bytes("20080000052700000014"));
  assert.equal(log, ["q1:PACKET_TOO_LARGE", "q0:PACKET_TOO_LARGE", "small:ok"]);
  // 30 05 | 0001 "t" | props 00 | "s"
  assert.equal(take(hal.c()), ["30050001740073"]);
  assert.is(client._out.length, 0);
  assert.is(client._q._a.length, 0);
  client.publish("t", big, { qos: 2 }, cb("live"));
  assert.equal(log.slice(3), ["live:PACKET_TOO_LARGE"]);
  assert.equal(take(hal.c()), []);
  assert.is(client._out.length, 0);
  // the limit is the connection's: a CONNACK without it lifts it
  hal.c().h.onClose();
  hal.clock.advance(10);
  hal.c().h.onOpen();
  take(hal.c());
  hal.c().h.onData(bytes("2003000000"));
  client.publish("t", big, cb("next"));
  assert.equal(log.slice(4), ["next:ok"]);
  assert.is(take(hal.c()).length, 1);
});

test("MQTT 5.0 [MQTT-3.2.2-11] server Maximum QoS 1: a QoS 2 publish (also queued) fails with QOS_NOT_SUPPORTED, nothing sent", () => {
  const { hal, client } = v5();
  const log: string[] = [];
  client.publish("t", "a", { qos: 2 }, (e: any) => log.push("q:" + (e ? e.code : "ok")));
  // 20 05 | 00 00 | props 02: 24 01
  hal.c().h.onData(bytes("20050000022401"));
  client.publish("t", "b", { qos: 2 }, (e: any) => log.push("l:" + (e ? e.code : "ok")));
  assert.equal(log, ["q:QOS_NOT_SUPPORTED", "l:QOS_NOT_SUPPORTED"]);
  assert.equal(take(hal.c()), []);
  assert.is(client._out.length, 0);
  client.publish("t", "c", { qos: 1 });
  // 32 07 | 0001 "t" | id 0001 | props 00 | "c"
  assert.equal(take(hal.c()), ["32070001740001" + "0063"]);
});

test("MQTT 5.0 [MQTT-3.2.2-14] server Retain Available 0: a retained publish fails with RETAIN_NOT_SUPPORTED, nothing sent", () => {
  const { hal, client } = v5("20050000022500");
  const log: string[] = [];
  client.publish("t", "a", { retain: true }, (e: any) => log.push(e ? e.code : "ok"));
  client.publish("t", "b", { qos: 1, retain: true }, (e: any) => log.push(e ? e.code : "ok"));
  assert.equal(log, ["RETAIN_NOT_SUPPORTED", "RETAIN_NOT_SUPPORTED"]);
  assert.equal(take(hal.c()), []);
  assert.is(client._out.length, 0);
});

test("end(): a pending callback that throws does not stop the others, the end event or end()'s callback; the first error is rethrown", () => {
  const { client, events } = setup();
  const log: string[] = [];
  client.publish("t", "a", { qos: 1 }, (e: any) => {
    log.push("a:" + e.code);
    throw new Error("first");
  });
  client.publish("t", "b", { qos: 1 }, (e: any) => {
    log.push("b:" + e.code);
    throw new Error("second");
  });
  client.publish("t", "c", { qos: 1 }, (e: any) => log.push("c:" + e.code));
  assert.throws(() => client.end(() => log.push("end cb")), /first/);
  assert.equal(log, ["a:ENDED", "b:ENDED", "c:ENDED", "end cb"]);
  assert.equal(events, ["close", "end"]);
  assert.is(client._out.length, 0);
  assert.is(client._s, 4);
});

test("MQTT 5.0 [MQTT-3.2.2-4] CONNACK with Session Present 1 after Clean Start 1: PROTOCOL error, connection dropped, no connect", () => {
  const { hal, client, events } = v5("2003010000");
  assert.equal(events, ["error:PROTOCOL", "close"]);
  assert.is(hal.c().destroyed, true);
  assert.is(client._s, 0);
  // with Clean Start 0 a present session is fine
  const r = v5("2003010000", { clean: false });
  assert.equal(r.events, ["connect"]);
  assert.is(r.client._s, 3);
});

test("[MQTT-3.2.2-15 / 2.2.3] resubscribe on a new session that would exceed maxPacketSize goes out as one SUBSCRIBE per filter", () => {
  const { hal, client, events } = setup({ maxPacketSize: 20, reconnect: { min: 10, max: 10, jitter: 0 } }, false);
  client.connect();
  hal.c().h.onOpen();
  hal.c().h.onData(bytes("20020000"));
  take(hal.c());
  for (const f of ["aaaa/1", "aaaa/2", "aaaa/3"]) client.subscribe(f, { qos: 0 });
  // each fits alone: 82 0b | id | 0006 "aaaa/n" | 00 (13 bytes)
  assert.equal(take(hal.c()).length, 3);
  hal.c().h.onData(bytes("9003000100 9003000200 9003000300"));
  hal.c().h.onClose();
  hal.clock.advance(10);
  hal.c().h.onOpen();
  take(hal.c());
  // no session: together they would be 31 bytes > 20, so three SUBSCRIBEs, ids 4..6, and no error
  hal.c().h.onData(bytes("20020000"));
  assert.equal(take(hal.c()), ["820b0004000661616161 2f3100", "820b0005000661616161 2f3200", "820b0006000661616161 2f3300"].map((x) => x.replace(/ /g, "")));
  assert.not.ok(events.some((e) => e.startsWith("error:PACKET_TOO_LARGE")));
});

test("MQTT 5.0 [MQTT-3.2.2-15] reconnect to a server with a smaller Maximum Packet Size: an in-flight packet now too large is not resent, fails PACKET_TOO_LARGE and frees its id; the rest go in order, no reconnect loop", () => {
  const { hal, client, events } = v5("2003000000", { clean: false, ackTimeout: 1000 });
  const log: string[] = [];
  const cb = (n: string) => (e: any) => log.push(n + ":" + (e ? e.code : "ok"));
  const big = "x".repeat(30);
  client.publish("t", "a", { qos: 1 }, cb("a")); // id 1
  client.publish("t", big, { qos: 1 }, cb("big")); // id 2: 38 bytes
  client.publish("t", "c", { qos: 2 }, cb("c")); // id 3
  client.publish("t", big, { qos: 2 }, cb("big2")); // id 4
  // 32 24 | 0001 "t" | id 0002 | props 00 | 30 x "x"
  assert.equal(take(hal.c())[1], "3224000174000200" + "78".repeat(30));
  // PUBREC for id 4: PUBREL goes, the big PUBLISH itself is delivered
  hal.c().h.onData(bytes("50020004"));
  assert.equal(take(hal.c()), ["62020004"]);
  hal.c().h.onClose();
  // queued while offline
  client.publish("t", "e", { qos: 1 }, cb("e"));
  client.publish("t", big, cb("q0big"));
  hal.clock.advance(10);
  hal.c().h.onOpen();
  take(hal.c());
  events.length = 0;
  // 20 08 | session present | 00 | props 05: 27 00000014 (20 bytes)
  hal.c().h.onData(bytes("20080100052700000014"));
  assert.equal(take(hal.c()), [
    "3a07000174000100" + "61", // a again, DUP
    "3c07000174000300" + "63", // c again, DUP
    "62020004", // PUBREL for id 4 (its PUBLISH was delivered before)
    "32070001740005" + "0065", // e from the queue: id 5
  ]);
  // the queue's refusal comes while it is flushed; the in-flight ones after `connect`
  // (so a callback that throws cannot leave the connection half set up)
  assert.equal(log, ["q0big:PACKET_TOO_LARGE", "big:PACKET_TOO_LARGE"]);
  assert.equal(events, ["connect"]);
  // id 2 is no longer in flight
  assert.equal(client._out.map((e: any) => e.p.messageId), [1, 3, 4, 5]);
  // the rest completes and nothing waits for an ack: no ACK_TIMEOUT, no redial
  hal.c().h.onData(bytes("40020001 50020003 70020004 40020005"));
  assert.equal(take(hal.c()), ["62020003"]);
  hal.c().h.onData(bytes("70020003"));
  assert.equal(log.slice(2), ["a:ok", "big2:ok", "e:ok", "c:ok"]);
  assert.is(client._out.length, 0);
  hal.clock.advance(5000);
  assert.equal(events, ["connect"]);
  assert.is(hal.conns.length, 2);
  assert.is(client._s, 3);
});



test("end(): a publish or subscribe made by a 'close' listener during end() fails with ENDED too, not lost", () => {
  const { client, hal } = setup();
  const log: string[] = [];
  client.on("close", () => {
    client.publish("late", "x", { qos: 1 }, (e: any) => log.push("late:" + (e && e.code)));
    client.publish("late0", "y", (e: any) => log.push("late0:" + (e && e.code)));
    client.subscribe("s", (e: any) => log.push("s:" + (e && e.code)));
  });
  client.end(() => log.push("end cb"));
  assert.equal(log.slice().sort(), ["end cb", "late0:ENDED", "late:ENDED", "s:ENDED"]);
  assert.is(log[3], "end cb");
  take(hal.c());
});
test.run();
