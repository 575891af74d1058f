/** The client session on a virtual clock: exact bytes for CONNECT/PUBLISH/SUBSCRIBE, QoS 1/2 both ways, session resume. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { bytes, hex, setup, take, CONNACK, CONNACK_SP } from "./support/virtual";

test("CONNECT bytes (3.1.1 defaults), CONNACK -> connect event with sessionPresent", () => {
  const { hal, client, events } = setup({}, false);
  let connack: any;
  client.on("connect", (p: any) => (connack = p));
  client.connect();
  client.connect(); // never two connects at once
  assert.is(hal.conns.length, 1);
  assert.equal(hal.c().target, client._o as any);
  assert.equal(take(hal.c()), []);
  hal.c().h.onOpen();
  // 10 0d | 0004 MQTT | 04 | flags 02 (clean) | keepalive 003c | 0001 "c"
  assert.equal(take(hal.c()), ["100d00044d5154540402003c000163"]);
  assert.is(client.connected, false);
  hal.c().h.onData(bytes(CONNACK_SP));
  assert.is(client.connected, true);
  assert.equal(events, ["connect"]);
  assert.is(connack.sessionPresent, true);
  assert.is(connack.returnCode, 0);
});

test("CONNECT with username, password, will, clean=false, keepalive 10", () => {
  const { hal, client } = setup(
    { clientId: "id", username: "u", password: "pw", keepalive: 10, clean: false, will: { topic: "w", payload: "bye", qos: 1, retain: true } },
    false,
  );
  client.connect();
  hal.c().h.onOpen();
  // flags: user 80 | pass 40 | will retain 20 | will qos1 08 | will 04 | clean 0 = ec
  assert.equal(take(hal.c()), ["101d00044d51545404ec000a00026964000177000362796500017500027077"]);
});

test("publish QoS 0: exact bytes, callback when written", () => {
  const { hal, client } = setup();
  const log: any[] = [];
  client.publish("t", "hi", (e) => log.push(e));
  client.publish("t", new Uint8Array([1, 2]), { retain: true });
  client.publish("ü", "€"); // UTF-8 topic and payload
  assert.equal(take(hal.c()), ["30050001746869", "3105000174" + "0102", "30070002c3bce282ac"]);
  assert.equal(log, [undefined]);
});

test("subscribe: exact bytes, SUBACK -> callback with granted, handler routing with wildcards", () => {
  const { hal, client, messages } = setup();
  const got: string[] = [];
  let res: any;
  client.subscribe("a/+", { qos: 1, handler: (t, p) => got.push("h1 " + t + " " + Buffer.from(p)) }, (e, g) => (res = [e, g]));
  client.subscribe({ "b/#": 0, c: 2 }, (e, g) => (res = [e, g]));
  client.route("#", (t) => got.push("all " + t));
  // 82 08 | id 0001 | 0003 "a/+" qos 01
  // 82 0b | id 0002 | 0003 "b/#" 00 | 0001 "c" 02
  assert.equal(take(hal.c()), ["820800010003612f2b01", "820c00020003622f2300000163" + "02"]);
  assert.is(res, undefined);
  hal.c().h.onData(bytes("9003000101"));
  assert.equal(res, [undefined, [1]]);
  hal.c().h.onData(bytes("900400020002"));
  assert.equal(res, [undefined, [0, 2]]);
  assert.equal(Object.keys(client._subs), ["a/+", "b/#", "c"]);
  // 30 08 | 0003 "a/b" | "xy" ; then "b" (matches b/# as parent)
  hal.c().h.onData(bytes("30070003612f627879 3003000162"));
  assert.equal(messages.map((m) => m[0] + "=" + m[1]), ["a/b=xy", "b="]);
  assert.equal(got, ["h1 a/b xy", "all a/b", "all b"]);
  // unsubscribe removes the route
  client.unsubscribe("a/+");
  assert.equal(take(hal.c()), ["a20700030003612f2b"]);
  hal.c().h.onData(bytes("30070003612f627879"));
  assert.equal(got.slice(3), ["all a/b"]);
  assert.equal(Object.keys(client._subs), ["b/#", "c"]);
});

test("SUBACK failure 0x80 -> callback error SUBACK_FAILED, filter not kept", () => {
  const { hal, client } = setup();
  let res: any;
  client.subscribe(["x", "y"], { qos: 1 }, (e, g) => (res = [e && (e as any).code, g]));
  hal.c().h.onData(bytes("900400010180"));
  assert.equal(res, ["SUBACK_FAILED", [1, 0x80]]);
  assert.equal(Object.keys(client._subs), ["x"]);
});

test("QoS 1 outgoing: PUBLISH with id, callback only on PUBACK", () => {
  const { hal, client } = setup();
  const log: any[] = [];
  client.publish("t", "a", { qos: 1 }, (e) => log.push("a" + e));
  client.publish("t", "b", { qos: 1 }, (e) => log.push("b" + e));
  assert.equal(take(hal.c()), ["32060001740001" + "61", "32060001740002" + "62"]);
  assert.equal(log, []);
  hal.c().h.onData(bytes("40020002"));
  assert.equal(log, ["bundefined"]);
  hal.c().h.onData(bytes("40020002 40020009")); // duplicate / unknown: ignored
  assert.equal(log, ["bundefined"]);
  hal.c().h.onData(bytes("40020001"));
  assert.equal(log, ["bundefined", "aundefined"]);
  assert.is(client._out.length, 0);
  assert.equal(take(hal.c()), []);
});

test("QoS 2 outgoing: PUBREC -> PUBREL -> PUBCOMP -> callback", () => {
  const { hal, client } = setup();
  const log: any[] = [];
  client.publish("t", "a", { qos: 2 }, (e) => log.push("done" + e));
  assert.equal(take(hal.c()), ["34060001740001" + "61"]);
  hal.c().h.onData(bytes("50020001"));
  assert.equal(take(hal.c()), ["62020001"]);
  assert.equal(log, []);
  hal.c().h.onData(bytes("50020001")); // PUBREC again: PUBREL again
  assert.equal(take(hal.c()), ["62020001"]);
  hal.c().h.onData(bytes("40020001")); // wrong ack type for this id: ignored
  assert.equal(log, []);
  hal.c().h.onData(bytes("70020001"));
  assert.equal(log, ["doneundefined"]);
  assert.is(client._out.length, 0);
});

test("QoS 1 incoming: delivered, then PUBACK", () => {
  const { hal, messages } = setup();
  hal.c().h.onData(bytes("32080003612f6200077a"));
  assert.equal(messages.map((m) => [m[0], m[1], m[2].qos, m[2].messageId]), [["a/b", "z", 1, 7]]);
  assert.equal(take(hal.c()), ["40020007"]);
});

test("QoS 2 incoming: exactly once across redelivery until PUBREL [MQTT-4.3.3]", () => {
  const { hal, client, messages } = setup();
  const q2 = "34080003612f6200077a",
    q2dup = "3c080003612f6200077a";
  hal.c().h.onData(bytes(q2));
  assert.equal(take(hal.c()), ["50020007"]);
  hal.c().h.onData(bytes(q2dup));
  hal.c().h.onData(bytes(q2dup));
  assert.equal(take(hal.c()), ["50020007", "50020007"]);
  assert.is(messages.length, 1);
  assert.equal(client._in2, [7]);
  hal.c().h.onData(bytes("62020007"));
  assert.equal(take(hal.c()), ["70020007"]);
  assert.equal(client._in2, []);
  hal.c().h.onData(bytes("62020007")); // PUBREL for an unknown id: PUBCOMP anyway
  assert.equal(take(hal.c()), ["70020007"]);
  hal.c().h.onData(bytes(q2)); // id free again: a new message
  assert.is(messages.length, 2);
  // redelivery after a reconnect with a present session is still suppressed
  const c1 = hal.c();
  c1.h.onClose(new Error("reset"));
  hal.clock.advance(1000);
  hal.c().h.onOpen();
  hal.c().h.onData(bytes(CONNACK_SP));
  take(hal.c());
  hal.c().h.onData(bytes(q2dup));
  assert.is(messages.length, 2);
  assert.equal(take(hal.c()), ["50020007"]);
});

test("persistent session: unacked PUBLISH resent with DUP in original order [MQTT-4.4.0-1], PUBREL resent in PUBREC order [MQTT-4.6.0-4]", () => {
  const { hal, client, events } = setup({ clean: false, reconnect: { min: 1000, jitter: 0 } });
  const log: string[] = [];
  client.publish("t", "a", { qos: 1 }, (e) => log.push("a" + (e || "")));
  client.publish("t", "b", { qos: 2 }, (e) => log.push("b" + (e || "")));
  client.publish("t", "c", { qos: 1 }, (e) => log.push("c" + (e || "")));
  hal.c().h.onData(bytes("50020002")); // b: PUBREC -> PUBREL
  assert.equal(take(hal.c()), ["32060001740001" + "61", "34060001740002" + "62", "32060001740003" + "63", "62020002"]);
  hal.c().h.onClose();
  assert.equal(events, ["close", "offline"]);
  client.publish("t", "d", { qos: 1 }, (e) => log.push("d" + (e || ""))); // offline: queued
  hal.clock.advance(999);
  assert.is(hal.conns.length, 1);
  hal.clock.advance(1);
  assert.is(hal.conns.length, 2);
  hal.c().h.onOpen();
  assert.equal(take(hal.c()), ["100d00044d5154540400003c000163"]);
  hal.c().h.onData(bytes(CONNACK_SP));
  // DUP flag 08, PUBLISH in the order first sent; the PUBREL for b, whose PUBREC came after
  // c was sent; then the queued d with a fresh id
  assert.equal(take(hal.c()), ["3a060001740001" + "61", "3a060001740003" + "63", "62020002", "32060001740004" + "64"]);
  hal.c().h.onData(bytes("40020001 70020002 40020003 40020004"));
  assert.equal(log, ["a", "b", "c", "d"]);
  assert.equal(events, ["close", "offline", "reconnect", "connect"]);
});

test("resubscribe on sessionPresent=0, not on sessionPresent=1", () => {
  const { hal, client } = setup({ clean: false, reconnect: { min: 10, jitter: 0 } });
  client.subscribe({ "a/+": 1, b: 0 });
  hal.c().h.onData(bytes("900400010100"));
  client.subscribe("pending", { qos: 2 }); // not acked yet: resent as is
  take(hal.c());
  hal.c().h.onClose();
  hal.clock.advance(10);
  hal.c().h.onOpen();
  take(hal.c());
  hal.c().h.onData(bytes(CONNACK)); // no session: resubscribe acknowledged ones, then the pending one
  assert.equal(take(hal.c()), ["820c00030003612f2b0100016200", "820c00020007" + "70656e64696e67" + "02"]);
  hal.c().h.onData(bytes("9004000301 00 9003000202"));
  assert.equal(Object.keys(client._subs), ["a/+", "b", "pending"]);
  assert.is(client._out.length, 0);
  hal.c().h.onClose();
  hal.clock.advance(10);
  hal.c().h.onOpen();
  take(hal.c());
  hal.c().h.onData(bytes(CONNACK_SP)); // session present: nothing to resubscribe
  assert.equal(take(hal.c()), []);
});

test("clean=true resubscribes after every reconnect", () => {
  const { hal, client } = setup({ reconnect: { min: 10, jitter: 0 } });
  client.subscribe("x");
  hal.c().h.onData(bytes("9003000100"));
  take(hal.c());
  for (let i = 2; i < 4; i++) {
    hal.c().h.onClose();
    hal.clock.advance(10 << (i - 2)); // 10, then 20: closed each time before a keepalive check, the backoff grows
    hal.c().h.onOpen();
    assert.equal(take(hal.c()), ["100d00044d5154540402003c000163"]);
    hal.c().h.onData(bytes(CONNACK));
    assert.equal(take(hal.c()), ["8206000" + i + "0001" + "78" + "00"]);
    hal.c().h.onData(bytes("9003000" + i + "00"));
  }
  assert.is(client._out.length, 0);
});

test("packet ids: never 0, wrap at 65535, skip ids in use", () => {
  const { hal, client } = setup();
  client.publish("t", "", { qos: 1 });
  client.publish("t", "", { qos: 1 });
  assert.equal(take(hal.c()), ["3205000174" + "0001", "3205000174" + "0002"]);
  client._id = 65533;
  client.publish("t", "", { qos: 1 });
  client.subscribe("s"); // 65535
  client.publish("t", "", { qos: 1 }); // wraps: 1 and 2 in use -> 3
  assert.equal(take(hal.c()), ["320500017" + "4fffe", "8206" + "ffff" + "0001" + "73" + "00", "3205000174" + "0003"]);
  hal.c().h.onData(bytes("40020001"));
  client._id = 65535;
  client.publish("t", "", { qos: 1 }); // 1 is free again
  assert.equal(take(hal.c()), ["3205000174" + "0001"]);
  assert.equal(
    client._out.map((e) => e.p.messageId),
    [2, 65534, 65535, 3, 1],
  );
});

test("in-flight window: excess waits in the queue in order", () => {
  const { hal, client } = setup({ inflightWindow: 2 });
  const log: string[] = [];
  for (const x of ["a", "b", "c"]) client.publish("t", x, { qos: 1 }, () => log.push(x));
  client.publish("t", "d"); // QoS 0 keeps its place behind c
  assert.equal(take(hal.c()), ["32060001740001" + "61", "32060001740002" + "62"]);
  assert.is(client._q._a.length, 2);
  hal.c().h.onData(bytes("40020002"));
  assert.equal(take(hal.c()), ["32060001740003" + "63", "30040001" + "7464"]);
  assert.equal(log, ["b"]);
});

test("[MQTT-4.6.0] a new session's resubscription, sent first, is resent first too: an UNSUBSCRIBE sent after it stays done", () => {
  const { hal, client } = setup({ clean: false, reconnect: { min: 10, jitter: 0 } });
  client.subscribe("a");
  client.unsubscribe("a");
  // the SUBACK for the SUBSCRIBE sent before the UNSUBSCRIBE brings the filter back
  hal.c().h.onData(bytes("9003000100"));
  assert.equal(take(hal.c()), ["8206000100016100", "a2050002000161"]);
  hal.c().h.onClose();
  hal.clock.advance(10);
  hal.c().h.onOpen();
  take(hal.c());
  hal.c().h.onData(bytes(CONNACK)); // no session: a resubscribed (id 3), then the UNSUBSCRIBE again
  assert.equal(take(hal.c()), ["8206000300016100", "a2050002000161"]);
  hal.c().h.onClose();
  hal.clock.advance(20);
  hal.c().h.onOpen();
  take(hal.c());
  hal.c().h.onData(bytes(CONNACK_SP)); // the session (made by the last CONNECT) is present: both again, in that order
  assert.equal(take(hal.c()), ["8206000300016100", "a2050002000161"]);
  hal.c().h.onData(bytes("9003000300 b0020002"));
  assert.equal(client._subs, {});
  assert.is(client._out.length, 0);
});

test("[MQTT-4.6.0] a new session's resubscription is resent before a SUBSCRIBE made after it (a QoS change is kept)", () => {
  const { hal, client } = setup({ clean: false, reconnect: { min: 10, jitter: 0 } });
  client.subscribe("a");
  hal.c().h.onData(bytes("9003000100"));
  take(hal.c());
  hal.c().h.onClose();
  client.subscribe("a", { qos: 1 }); // offline: sent on connect
  hal.clock.advance(10);
  hal.c().h.onOpen();
  take(hal.c());
  hal.c().h.onData(bytes(CONNACK)); // no session: a at QoS 0 resubscribed (id 3), then a at QoS 1 (id 2)
  assert.equal(take(hal.c()), ["8206000300016100", "8206000200016101"]);
  hal.c().h.onClose();
  hal.clock.advance(20);
  hal.c().h.onOpen();
  take(hal.c());
  hal.c().h.onData(bytes(CONNACK_SP));
  assert.equal(take(hal.c()), ["8206000300016100", "8206000200016101"]);
  hal.c().h.onData(bytes("9003000300 9003000201"));
  assert.equal(Object.keys(client._subs), ["a"]);
  assert.is(client._subs.a.qos, 1);
});

test("end() before the resubscription's SUBACK (clean = false): the next connection subscribes again, though the CONNACK says session present", () => {
  const { hal, client } = setup({ clean: false, reconnect: { min: 10, jitter: 0 } });
  client.subscribe("a");
  hal.c().h.onData(bytes("9003000100"));
  take(hal.c());
  hal.c().h.onClose();
  hal.clock.advance(10);
  hal.c().h.onOpen();
  take(hal.c());
  hal.c().h.onData(bytes(CONNACK));
  assert.equal(take(hal.c()), ["8206000200016100"]);
  client.end();
  assert.equal(take(hal.c()), ["e000"]);
  client.connect();
  hal.c().h.onOpen();
  take(hal.c());
  // the broker made the session from the last CONNECT, and lost its SUBSCRIBE
  hal.c().h.onData(bytes(CONNACK_SP));
  assert.equal(take(hal.c()), ["8206000300016100"]);
  hal.c().h.onData(bytes("9003000300"));
  assert.is(client._out.length, 0);
  // acknowledged: a present session is trusted again
  hal.c().h.onClose();
  hal.clock.advance(10);
  hal.c().h.onOpen();
  take(hal.c());
  hal.c().h.onData(bytes(CONNACK_SP));
  assert.equal(take(hal.c()), []);
});

test.run();
