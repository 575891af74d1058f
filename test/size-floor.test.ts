/**
 * `npm run size` prints the floors under the tiny and core budgets:
 * scripts/size-floor/{tiny,core}.ts built like bundles. A floor only means
 * something if that code does what the profile's feature list asks, so both
 * run here on the Espruino stand-in against aedes: tiny: CONNECT bytes,
 * subscribe and own messages back, PINGREQ, a reconnect that subscribes
 * again, end(); core: QoS 1 and 2 both ways with callbacks, will and
 * credentials in CONNECT, a persistent session kept across a reconnect.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { bundleEspruino } from "../scripts/lib/bundle";
import { sizeFloor } from "../scripts/size";
import { runBundle } from "./support/espruino-bundle";
import { AEDES, broker, newCtx, proxy, sleep, teardown, until, type Ctx } from "./support/board-brokers";

const t = suite<Ctx>("size floors", newCtx());
t.before.each((c) => {
  Object.assign(c, newCtx(), { bundle: undefined });
});
t.after.each(teardown);

const code = (profile = "tiny") =>
  bundleEspruino({ entry: new URL("../scripts/size-floor/" + profile + ".ts", import.meta.url).pathname, defines: {} }).then((b) => b.code);

t("the tiny floor code is a working QoS 0 client: connect, subscribe, own messages back, ping, reconnect with resubscribe, end", async (c) => {
  const b = await broker(c, AEDES);
  c.bundle = runBundle(await code(), { chip: "ESP32" });
  const events: string[] = [];
  const got: [string, string][] = [];
  const client = c.bundle.exports.connect({ host: b.host, port: b.port, clientId: "floor", keepalive: 1, reconnect: { min: 20, max: 40 } });
  c.clients.push({ end: () => client.end() });
  for (const ev of ["connect", "close"]) client.on(ev, () => events.push(ev));
  client.on("message", (topic: string, payload: string) => got.push([topic, payload]));
  await until("connect", () => events.length > 0);
  const st = c.bundle.standin;
  // CONNECT 3.1.1, clean session, keepalive 1, client id "floor"
  assert.is(st.net.writes[0], "\x10\x11\x00\x04MQTT\x04\x02\x00\x01\x00\x05floor");
  client.subscribe("floor/#");
  await b.subscribed("floor", "floor/#");
  const big = "x".repeat(300); // a remaining length of two bytes
  client.publish("floor/a", "\x00\xff");
  client.publish("floor/b", big);
  await until("2 messages", () => got.length == 2);
  assert.equal(got, [["floor/a", "\x00\xff"], ["floor/b", big]]);
  // nothing sent for a keepalive: a PINGREQ
  await until("PINGREQ", () => st.net.writes.includes("\xc0\x00"), 3000);
  // the socket closed under the client: a new connection, the filter subscribed again
  st.net.sockets[0].end();
  await until("reconnected", () => events.filter((e) => e == "connect").length == 2, 3000);
  await b.subscribed("floor", "floor/#", 2);
  client.publish("floor/c", "again");
  await until("3 messages", () => got.length == 3);
  assert.equal(got[2], ["floor/c", "again"]);
  client.end();
  await sleep(50);
  assert.equal(events, ["connect", "close", "connect", "close"]);
  assert.equal(st.violations, []);
});

t("the core floor code: QoS 1 and 2 both ways with callbacks, will and credentials, a persistent session across a reconnect", async (c) => {
  const b = await broker(c, AEDES);
  const px = await proxy(c, b);
  c.bundle = runBundle(await code("core"), { chip: "ESP32" });
  const events: string[] = [];
  const got: [string, string][] = [];
  const done: string[] = [];
  const client = c.bundle.exports.connect({
    host: px.host,
    port: px.port,
    clientId: "floorc",
    clean: false,
    username: "u",
    password: "p",
    will: { topic: "w/t", payload: "bye", qos: 1, retain: false },
    reconnect: { min: 20, max: 40 },
  });
  c.clients.push({ end: () => client.end() });
  for (const ev of ["connect", "close"]) client.on(ev, () => events.push(ev));
  client.on("message", (topic: string, payload: string) => got.push([topic, payload]));
  await until("connect", () => events.length > 0);
  const st = c.bundle.standin;
  // CONNECT: user, password, will QoS 1, persistent session; keepalive 60
  assert.is(st.net.writes[0], "\x10\x22\x00\x04MQTT\x04\xcc\x00\x3c\x00\x06floorc\x00\x03w/t\x00\x03bye\x00\x01u\x00\x01p");
  client.subscribe("fc/#", 2, () => done.push("sub"));
  await until("SUBACK", () => done.length == 1);
  client.publish("fc/1", "one", { qos: 1 }, () => done.push("q1"));
  client.publish("fc/2", "two", { qos: 2 }, () => done.push("q2"));
  await until("both back and complete", () => got.length == 2 && done.length == 3);
  // (aedes may forward the QoS 2 message before the QoS 1 one)
  assert.equal(got.slice().sort(), [["fc/1", "one"], ["fc/2", "two"]]);
  assert.equal(done.slice().sort(), ["q1", "q2", "sub"]);
  // QoS 2 in: PUBREC for the PUBLISH, PUBCOMP for the PUBREL, both written
  assert.ok(st.net.writes.some((w: string) => w.charCodeAt(0) == 0x50));
  assert.ok(st.net.writes.some((w: string) => w.charCodeAt(0) == 0x70));
  // the link lost: the session is kept by the broker, so no new SUBSCRIBE, and messages still flow
  const subscribes = () => st.net.writes.filter((w: string) => w.charCodeAt(0) == 0x82).length;
  st.net.sockets[0].end();
  await until("reconnected", () => events.filter((e) => e == "connect").length == 2, 3000);
  client.publish("fc/3", "three", { qos: 2 }, () => done.push("q2b"));
  await until("third message", () => got.length == 3 && done.length == 4);
  assert.equal(got[2], ["fc/3", "three"]);
  assert.is(subscribes(), 1);
  // a QoS 1 PUBLISH lost with the link: sent again with DUP on the next connection, completed once
  px.drop();
  client.publish("fc/4", "four", { qos: 1 }, () => done.push("q1b"));
  await sleep(50);
  px.closeAll();
  await until("resent and complete", () => done.includes("q1b"), 3000);
  assert.ok(st.net.writes.some((w: string) => w.charCodeAt(0) == 0x3a && w.indexOf("fc/4") > 0), "PUBLISH QoS 1 with DUP");
  await until("fourth message", () => got.some((m) => m[0] == "fc/4"));
  assert.is(done.filter((d) => d == "q1b").length, 1);
  client.end();
  await sleep(50);
  assert.equal(st.violations, []);
});

t("npm run size's floor figures are these codes' bundle sizes", async () => {
  assert.is(await sizeFloor("tiny"), Buffer.byteLength(await code("tiny")));
  assert.is(await sizeFloor("core"), Buffer.byteLength(await code("core")));
});

t.run();
