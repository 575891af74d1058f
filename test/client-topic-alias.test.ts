/**
 * MQTT 5.0 topic aliases in the class client (src/client/client.ts), exact bytes on a
 * virtual clock: ours [MQTT-3.3.2.3.4] up to the server's Topic Alias Maximum
 * [MQTT-3.2.2-17] (topic + alias the first time, then an empty topic + alias), per
 * connection [MQTT-3.3.2-7], never in a resend (DUP); the server's up to the
 * maximum of our CONNECT [MQTT-3.3.2-10], anything else DISCONNECT 0x94. 3.1.1 and
 * `topicAliases: false` send none. The byte budget counts the wire.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { bytes, hex, setup, take } from "./support/virtual";
import mqttPacket from "mqtt-packet";
import { Budget, BudgetPolicy, guard, meter } from "../src/client/budget";
import { encodePublish } from "../src/codec/encode";
import { dukBundleScript } from "./support/duk-bundle";
import { hasDuk, runDuk } from "../scripts/lib/duk";
import { buildBoardBundle } from "../scripts/lib/bundle";
import { loadBoard } from "../scripts/lib/boards";

/** 5.0 CONNACK, session present `sp`, with these property bytes (hex). */
function connack(props: string, sp = 0): string {
  const n = props.length / 2;
  return "20" + (n + 3).toString(16).padStart(2, "0") + "0" + sp + "00" + n.toString(16).padStart(2, "0") + props;
}
/** Topic Alias Maximum 2. */
const TAM2 = "220002";

/** A 5.0 client, connected with a CONNACK of these properties (the CONNECT taken). */
function v5(opts: any = {}, props = TAM2, sp = 0) {
  const r = setup(Object.assign({ protocolVersion: 5, reconnect: { min: 100, jitter: 0 } }, opts), false);
  r.client.connect();
  r.hal.c().h.onOpen();
  take(r.hal.c());
  r.hal.c().h.onData(bytes(connack(props, sp)));
  r.events.length = 0;
  return r;
}

/** Drop the connection, redial after the backoff, CONNACK with `props`. */
function reconnect(r: ReturnType<typeof v5>, props = TAM2, sp = 0) {
  const n = r.hal.conns.length;
  r.hal.c().h.onClose(new Error("reset"));
  r.hal.clock.advance(5000); // the backoff (100 ms, doubling)
  assert.is(r.hal.conns.length, n + 1);
  r.hal.c().h.onOpen();
  take(r.hal.c());
  r.hal.c().h.onData(bytes(connack(props, sp)));
}

// PUBLISH "a/b" "x" QoS 0: 30 | len | 0003 "a/b" | properties | "x"
const A_SET1 = "300a0003612f62" + "03230001" + "78"; // topic + alias 1
const A_USE1 = "30070000" + "03230001" + "78"; // empty topic + alias 1
const A_FULL = "30070003612f62" + "00" + "78"; // topic, no alias

test("[MQTT-3.3.2.3.4] QoS 0: the topic and alias 1 the first time, then alias 1 and an empty topic", () => {
  const { hal, client } = v5();
  const cbs: any[] = [];
  client.publish("a/b", "x", (e) => cbs.push(e));
  client.publish("a/b", "x", (e) => cbs.push(e));
  client.publish("a/b", "x");
  assert.equal(take(hal.c()), [A_SET1, A_USE1, A_USE1]);
  assert.equal(cbs, [undefined, undefined]);
});

test("QoS 1 and 2: the alias goes with the packet id; the callbacks and packets keep the topic", () => {
  const { hal, client } = v5();
  const pk: any[] = [];
  const cbs: any[] = [];
  client.publish("a/b", "x", { qos: 1 }, (e) => cbs.push(["q1", e]));
  client.publish("a/b", "y", { qos: 2 }, (e) => cbs.push(["q2", e]));
  // 32 0c | 0003 "a/b" | id 0001 | 03 23 0001 | "x";  34 09 | 0000 | id 0002 | 03 23 0001 | "y"
  assert.equal(take(hal.c()), ["320c0003612f620001032300017" + "8", "340900000002032300017" + "9"]);
  for (const e of client._out) pk.push((e.p as any).topic);
  assert.equal(pk, ["a/b", "a/b"]);
  hal.c().h.onData(bytes("40020001"));
  hal.c().h.onData(bytes("50020002"));
  assert.equal(take(hal.c()), ["62020002"]);
  hal.c().h.onData(bytes("70020002"));
  assert.equal(cbs, [["q1", undefined], ["q2", undefined]]);
});

test("[MQTT-3.2.2-17] [MQTT-3.3.2-9] all aliases taken: other topics go in full, first come first served", () => {
  const { hal, client } = v5(); // Topic Alias Maximum 2
  client.publish("a", "1");
  client.publish("b", "2");
  client.publish("c", "3");
  client.publish("c", "4");
  client.publish("b", "5");
  client.publish("a", "6");
  assert.equal(take(hal.c()), [
    "30080001610323000131", // "a" + alias 1
    "30080001620323000232", // "b" + alias 2
    "3005000163" + "0033", // "c": no alias left
    "3005000163" + "0034",
    "30070000" + "03230002" + "35", // alias 2 = "b"
    "30070000" + "03230001" + "36", // alias 1 = "a"
  ]);
});

test("[MQTT-3.2.2-18] no Topic Alias Maximum in the CONNACK, or topicAliases: false: no alias ever", () => {
  let r = v5({}, "");
  r.client.publish("a/b", "x");
  r.client.publish("a/b", "x");
  assert.equal(take(r.hal.c()), [A_FULL, A_FULL]);
  r = v5({ topicAliases: false });
  r.client.publish("a/b", "x");
  r.client.publish("a/b", "x");
  assert.equal(take(r.hal.c()), [A_FULL, A_FULL]);
  // a topicAlias the caller gives is then sent as given (the caller's business)
  r.client.publish("a/b", "x", { properties: { topicAlias: 7 } });
  assert.equal(take(r.hal.c()), ["300a0003612f62" + "03230007" + "78"]);
});

test("a topicAlias in the publish properties is replaced by the client's own while it gives aliases", () => {
  const { hal, client } = v5();
  client.publish("a/b", "x", { properties: { topicAlias: 7, contentType: "t" } });
  client.publish("a/b", "x", { properties: { topicAlias: 7 } });
  client.publish("c", "x"); // alias 2
  client.publish("d", "x", { properties: { topicAlias: 1 } }); // no alias left: none at all
  assert.equal(take(hal.c()), [
    "300e0003612f62" + "07" + "03000174" + "230001" + "78", // content type "t", then the alias
    A_USE1,
    "300800016303230002" + "78",
    "3005000164" + "00" + "78",
  ]);
});

test("[MQTT-3.3.2-7] aliases hold for one connection: a new one starts again from the topic, with the new maximum", () => {
  const r = v5();
  r.client.publish("a/b", "x");
  r.client.publish("a/b", "x");
  assert.equal(take(r.hal.c()), [A_SET1, A_USE1]);
  reconnect(r, "220001"); // the new server allows one alias
  r.client.publish("c", "x");
  r.client.publish("a/b", "x");
  r.client.publish("c", "x");
  assert.equal(take(r.hal.c()), ["300800016303230001" + "78", A_FULL, "30070000" + "03230001" + "78"]);
  reconnect(r, ""); // and this one none
  r.client.publish("c", "x");
  assert.equal(take(r.hal.c()), ["3005000163" + "00" + "78"]);
});

test("[MQTT-3.3.1-1] a resend after reconnect (DUP) goes with its topic and no alias; new publishes map again", () => {
  const r = v5({ clean: false });
  r.client.publish("a/b", "x", { qos: 1 });
  r.client.publish("a/b", "y", { qos: 1 });
  assert.equal(take(r.hal.c()), ["320c0003612f620001032300017" + "8", "3209000000020323000179"]);
  reconnect(r, TAM2, 1);
  // 3a 09 | 0003 "a/b" | id | 00 | payload
  assert.equal(take(r.hal.c()), ["3a090003612f620001" + "00" + "78", "3a090003612f620002" + "00" + "79"]);
  r.client.publish("a/b", "z", { qos: 1 });
  r.client.publish("a/b", "z", { qos: 1 });
  assert.equal(take(r.hal.c()), ["320c0003612f620003032300017a", "320900000004032300017a"]);
  // the stored packets kept their topic
  assert.equal(
    r.client._out.map((e: any) => e.p.topic),
    ["a/b", "a/b", "a/b", "a/b"],
  );
});

test("a PUBREL resent after reconnect is unchanged; a QoS 2 PUBLISH resent goes with its topic", () => {
  const r = v5({ clean: false });
  r.client.publish("a/b", "x", { qos: 2 });
  r.client.publish("a/b", "y", { qos: 2 });
  take(r.hal.c());
  r.hal.c().h.onData(bytes("50020001")); // PUBREC 1
  assert.equal(take(r.hal.c()), ["62020001"]);
  reconnect(r, TAM2, 1);
  assert.equal(take(r.hal.c()), ["3c090003612f620002" + "00" + "79", "62020001"]);
});

test("publishes queued while offline go on the new connection: topic + alias first, then the alias", () => {
  const r = v5();
  r.client.publish("a/b", "x");
  take(r.hal.c());
  r.hal.c().h.onClose(new Error("reset"));
  const cbs: any[] = [];
  r.client.publish("a/b", "x", (e) => cbs.push(e));
  r.client.publish("a/b", "x", { qos: 1 }, (e) => cbs.push(e));
  r.client.publish("a/b", "x");
  r.hal.clock.advance(100);
  r.hal.c().h.onOpen();
  take(r.hal.c());
  r.hal.c().h.onData(bytes(connack(TAM2)));
  assert.equal(take(r.hal.c()), [A_SET1, "3209000000010323000178", A_USE1]);
  assert.equal(cbs, [undefined]);
});

test("an alias costs 3 bytes: a publish that fits the server's Maximum Packet Size only without one goes without", () => {
  // Maximum Packet Size 10: "a/b" "x" is 9 bytes plain, 12 with topic + alias; "c" "x" 10 with it
  const { hal, client, errors } = v5({}, TAM2 + "270000000a");
  const cbs: any[] = [];
  client.publish("a/b", "x", (e) => cbs.push(e));
  client.publish("a/b", "x", { qos: 0 }, (e) => cbs.push(e));
  client.publish("c", "x");
  client.publish("c", "x");
  assert.equal(take(hal.c()), [A_FULL, A_FULL, "300800016303230001" + "78", "30070000" + "03230001" + "78"]);
  assert.equal(cbs, [undefined, undefined]);
  assert.equal(errors, []);
});

test("QoS 1 at the size limit: sent without an alias (not held back)", () => {
  const { hal, client } = v5({}, TAM2 + "270000000b"); // 11: QoS 1 "a/b" "x" is 11 plain, 14 with the alias
  client.publish("a/b", "x", { qos: 1 });
  assert.equal(take(hal.c()), ["32090003612f620001" + "00" + "78"]);
});

test("3.1.1: no properties and no alias, whatever the options", () => {
  const { hal, client } = setup({ protocolVersion: 4 });
  client.publish("a/b", "x");
  client.publish("a/b", "x", { qos: 1 });
  assert.equal(take(hal.c()), ["30060003612f6278", "32080003612f62000178"]);
});

// ---------------------------------------------------------------- incoming

test("[MQTT-3.1.2-26] properties.topicAliasMaximum goes in the CONNECT", () => {
  const { hal, client } = setup({ protocolVersion: 5, properties: { topicAliasMaximum: 5 } }, false);
  client.connect();
  hal.c().h.onOpen();
  // 10 11 | 0004 MQTT | 05 | 02 | 003c | 03 22 0005 | 0001 "c"
  assert.equal(take(hal.c()), ["101100044d5154540502003c03220005000163"]);
});

test("[MQTT-3.3.2-10] incoming: a topic with an alias maps it, an empty topic uses it; `message` gets the topic", () => {
  const { hal, client, messages, events } = v5({ properties: { topicAliasMaximum: 5 } });
  const routed: string[] = [];
  client.route("a/#", (t) => routed.push(t));
  hal.c().h.onData(bytes("300a0003612f62" + "03230005" + "31")); // "a/b" alias 5
  hal.c().h.onData(bytes("30070000" + "03230005" + "32")); // alias 5
  hal.c().h.onData(bytes("32090000" + "0007" + "03230005" + "33")); // QoS 1, alias 5
  hal.c().h.onData(bytes("300a0003612f63" + "03230005" + "34")); // alias 5 now "a/c"
  hal.c().h.onData(bytes("30070000" + "03230005" + "35"));
  assert.equal(
    messages.map((m) => m[0] + " " + m[1] + " " + m[2].topic),
    ["a/b 1 a/b", "a/b 2 a/b", "a/b 3 a/b", "a/c 4 a/c", "a/c 5 a/c"],
  );
  assert.equal(routed, ["a/b", "a/b", "a/b", "a/c", "a/c"]);
  assert.equal(take(hal.c()), ["40020007"]);
  assert.equal(events, []);
});

for (const [name, pkt, opts] of [
  ["an unknown alias", "30070000" + "03230002" + "32", { topicAliasMaximum: 5 }],
  ["[MQTT-3.3.2-8] alias 0", "300a0003612f62" + "03230000" + "31", { topicAliasMaximum: 5 }],
  ["an alias over our maximum", "300a0003612f62" + "03230006" + "31", { topicAliasMaximum: 5 }],
  ["[MQTT-3.1.2-27] an alias when we allowed none", "300a0003612f62" + "03230001" + "31", {}],
] as const)
  test(`incoming ${name}: DISCONNECT 0x94, PROTOCOL error, redial; no message`, () => {
    const { hal, client, messages, events } = v5({ properties: opts });
    hal.c().h.onData(bytes(pkt));
    assert.equal(take(hal.c()), ["e00194"]);
    assert.ok(hal.c().destroyed);
    assert.equal(events, ["error:PROTOCOL", "close", "offline"]);
    assert.is(messages.length, 0);
    hal.clock.advance(100);
    assert.is(hal.conns.length, 2);
    assert.is(client._s, 1);
  });

test("[MQTT-3.3.2-7] incoming: a new connection forgets the server's aliases", () => {
  const r = v5({ properties: { topicAliasMaximum: 5 } });
  r.hal.c().h.onData(bytes("300a0003612f62" + "03230001" + "31"));
  reconnect(r);
  r.events.length = 0;
  r.hal.c().h.onData(bytes("30070000" + "03230001" + "32"));
  assert.equal(take(r.hal.c()), ["e00194"]);
  assert.equal(r.events, ["error:PROTOCOL", "close", "offline"]);
  assert.equal(r.messages.map((m) => m[0]), ["a/b"]);
});

test("incoming QoS 2 with an alias: delivered once, the duplicate (DUP, empty topic) answered", () => {
  const { hal, messages } = v5({ properties: { topicAliasMaximum: 5 } });
  hal.c().h.onData(bytes("340c0003612f620009" + "03230001" + "31"));
  hal.c().h.onData(bytes("3c0900000009" + "03230001" + "31"));
  assert.equal(take(hal.c()), ["50020009", "50020009"]);
  assert.equal(messages.map((m) => m[0]), ["a/b"]);
});

// ---------------------------------------------------------------- byte budget

test("a server allowing 65,535 aliases (EMQX's default): the client gives at most 32, so distinct topics do not pile up in RAM", () => {
  // (each alias holds its topic for the connection's life and is searched on every publish:
  // a device publishing to ever new topics, e.g. one per reading, kept every one of them,
  // up to 65,535, on a board with ~230 KB of heap)
  const { hal, client } = v5({}, "22ffff");
  for (let i = 0; i < 40; i++) client.publish("t" + String(i).padStart(2, "0"), "x");
  const w = take(hal.c());
  // "t00": 30 0a | 0003 "t00" | 03 23 0001 | "x"; the 32nd "t31" gets alias 32 (0x20)
  assert.is(w[0], "300a0003743030" + "03230001" + "78");
  assert.is(w[31], "300a0003743331" + "03230020" + "78");
  // "t32" on: in full, no alias
  assert.is(w[32], "30070003743332" + "00" + "78");
  assert.is(w.filter((h) => h.includes("0323")).length, 32);
  assert.is((client as any)._oa.length, 32);
  client.publish("t05", "x");
  client.publish("t39", "x");
  assert.equal(take(hal.c()), ["30070000" + "03230006" + "78", "30070003743339" + "00" + "78"]);
});

/** A 5.0 client on the virtual hal, its transport metered by a byte budget guarded by guard(), connected with CONNACK properties `props`. */
function budgeted(props: string) {
  const r = setup({ protocolVersion: 5 }, false);
  const b = new Budget(0, BudgetPolicy.DROP, 0);
  // the same virtual hal, metered
  const hal2 = { ...r.hal, transport: meter(r.hal.transport, b, r.hal.clock) };
  const c = new (r.client.constructor as any)({ clientId: "c", host: "h", port: 1883, protocolVersion: 5 }, hal2);
  guard(c, b);
  c.connect();
  r.hal.c().h.onOpen();
  r.hal.c().h.onData(bytes(connack(props)));
  return { r, b, c };
}

test("guard() sizes a publish past the client's 32 aliases as it goes: in full, no alias", () => {
  const { r, b, c } = budgeted("22ffff");
  for (let i = 0; i < 32; i++) c.publish("t" + String(i).padStart(2, "0"), "x");
  // "t32" "x" in full is 9 B: exactly the room left (with an alias counted it would be 12)
  b._l = b.tx + b.rx + 9;
  const cbs: string[] = [];
  c.publish("t32", "x", (e: any) => cbs.push(e ? e.code : "ok"));
  assert.equal(cbs, ["ok"]);
  assert.is(take(r.hal.c()).pop(), "30070003743332" + "00" + "78");
  assert.is(b.tx + b.rx, b._l);
});

test("the byte budget counts the aliased bytes on the wire, and guard() sizes an aliased publish exactly", () => {
  const { r, b, c } = budgeted(TAM2);
  // CONNECT 16 B, CONNACK 8 B
  assert.is(b.tx, 16);
  assert.is(b.rx, 8);
  // with room left for: "a/b" + alias 1 (12 B), then alias 1 (9 B) twice: 16 + 8 + 30 = 54
  b._l = 54;
  const cbs: string[] = [];
  for (let i = 0; i < 4; i++) c.publish("a/b", "x", (e: any) => cbs.push(e ? e.code : "ok"));
  assert.equal(take(r.hal.c()).slice(1), [A_SET1, A_USE1, A_USE1]);
  assert.equal(cbs, ["ok", "ok", "ok", "BUDGET_EXCEEDED"]);
  assert.is(b.tx, 16 + 12 + 9 + 9);
  assert.is(b.tx + b.rx, 54);
});

test("the packets sent read back in mqtt-packet (5.0) as topic + alias, alias + empty topic", () => {
  const out: any[] = [];
  const parser = mqttPacket.parser({ protocolVersion: 5 });
  parser.on("packet", (p: any) => out.push([p.topic, p.properties && p.properties.topicAlias, p.messageId, Buffer.from(p.payload).toString()]));
  parser.on("error", (e: Error) => out.push(e.message));
  for (const h of [A_SET1, A_USE1, A_FULL, "320c0003612f620001032300017" + "8"]) parser.parse(Buffer.from(bytes(h)));
  assert.equal(out, [
    ["a/b", 1, undefined, "x"],
    ["", 1, undefined, "x"],
    ["a/b", undefined, undefined, "x"],
    ["a/b", 1, 1, "x"],
  ]);
});

test("codec: encodePublish(p, 5, w, alias, empty) and wProps; 3.1.1 writes no alias", () => {
  const p = { type: 3, topic: "a/b", payload: "x", qos: 0, retain: false, dup: false } as any;
  assert.is(hex(encodePublish(p, 5, undefined, 1) as Uint8Array), A_SET1);
  assert.is(hex(encodePublish(p, 5, undefined, 1, 1) as Uint8Array), A_USE1);
  assert.is(hex(encodePublish(p, 5, undefined, 0) as Uint8Array), A_FULL);
  assert.is(hex(encodePublish({ ...p, properties: { topicAlias: 9 } }, 5, undefined, false) as Uint8Array), A_FULL);
  assert.is(hex(encodePublish({ ...p, properties: { topicAlias: 9 } }, 5) as Uint8Array), "300a0003612f6203230009" + "78");
  assert.is(hex(encodePublish({ ...p, properties: { topicAlias: 9 } }, 5, undefined, 258) as Uint8Array), "300a0003612f6203230102" + "78");
  assert.is(hex(encodePublish(p, 4, undefined, 1) as Uint8Array), "30060003612f6278");
});

// ---------------------------------------------------------------- the real bundle

test("esp32-full bundle in Duktape on the Espruino stand-in: aliases both ways, then a wrong one: DISCONNECT 0x94 and a redial", async () => {
  if (!hasDuk()) {
    if (process.env.CI === "true") assert.unreachable("duk (Duktape) is not installed (CI=true)");
    throw new Error("duk (Duktape) is not installed: apt-get install duktape");
  }
  const b = await buildBoardBundle(loadBoard("esp32"), "full");
  // a scripted 5.0 broker: CONNACK with Topic Alias Maximum 2; after the client's first
  // PUBLISH it sends "a/c" with alias 1, then alias 1 alone, then unknown alias 2
  const driver = `var log = [], n = 0, hex = function (s) { var r = ""; for (var i = 0; i < s.length; i++) r += (s.charCodeAt(i) < 16 ? "0" : "") + s.charCodeAt(i).toString(16); return r; };
__standin.net.control.onConnect = function (peer) {
  peer.onData = function (s) {
    var t = s.charCodeAt(0) >> 4;
    log.push("wire " + hex(s));
    if (t == 1) peer.send("\\x20\\x06\\x00\\x00\\x03\\x22\\x00\\x02");
    if (t == 3 && !n++) {
      peer.send("\\x30\\x0a\\x00\\x03a/c\\x03\\x23\\x00\\x011");
      peer.send("\\x30\\x07\\x00\\x00\\x03\\x23\\x00\\x012");
      peer.send("\\x30\\x07\\x00\\x00\\x03\\x23\\x00\\x023");
    }
    if (t == 14) peer.close();
  };
};
var m = exports.connect({ host: "broker", port: 1883, clientId: "dk", keepalive: 30, protocolVersion: 5, properties: { topicAliasMaximum: 1 }, reconnect: { min: 1000, jitter: 0 } });
m.on("connect", function () { log.push("connect"); if (n) return; m.publish("a/b", "x"); m.publish("a/b", "y", { qos: 1 }); });
m.on("message", function (topic, payload) { log.push("message " + topic + " " + E.toString(payload)); });
m.on("error", function (e) { log.push("error " + e.code); });
__standin.run(10000);
m.end();
__standin.run(100);
print(log.join("\\n"));
print("violations " + __standin.violations.length);
`;
  const r = runDuk(dukBundleScript(b.code, driver));
  assert.is(r.stderr || "", "");
  assert.equal(r.stdout.trim().split("\n"), [
    // CONNECT 5.0, keepalive 0x78 (the full bundle's battery bands stretch the 30 s asked), Topic Alias Maximum 1
    "wire 101200044d51545405020078" + "03220001" + "0002646b",
    "connect",
    "wire 300a0003612f6203230001" + "78",
    "wire 32090000" + "0001" + "03230001" + "79",
    "message a/c 1",
    "message a/c 2",
    // (the error event comes first: the stand-in's socket delivers later)
    "error PROTOCOL",
    "wire e00194",
    // the redial after the backoff: CONNECT again; the unacknowledged QoS 1 PUBLISH resent (DUP) with its topic, no alias
    "wire 101200044d51545405020078" + "03220001" + "0002646b",
    "connect",
    "wire 3a090003612f62" + "0001" + "00" + "79",
    "wire e000",
    "violations 0",
  ]);
});

test.run();
