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

test.run();
