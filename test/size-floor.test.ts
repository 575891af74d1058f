/**
 * `npm run size` prints the floor under the tiny budget: scripts/size-floor/tiny.ts
 * built like a bundle. A floor only means something if that code does what
 * the tiny feature list asks, so it runs here on the Espruino stand-in
 * against aedes: CONNECT bytes, subscribe and own messages back, PINGREQ, a
 * reconnect that subscribes again, end().
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { bundleEspruino } from "../scripts/lib/bundle";
import { tinyFloor } from "../scripts/size";
import { runBundle } from "./support/espruino-bundle";
import { AEDES, broker, newCtx, sleep, teardown, until, type Ctx } from "./support/board-brokers";

const t = suite<Ctx>("size floor (tiny)", newCtx());
t.before.each((c) => {
  Object.assign(c, newCtx(), { bundle: undefined });
});
t.after.each(teardown);

const code = () => bundleEspruino({ entry: new URL("../scripts/size-floor/tiny.ts", import.meta.url).pathname, defines: {} }).then((b) => b.code);

t("the floor code is a working QoS 0 client: connect, subscribe, own messages back, ping, reconnect with resubscribe, end", async (c) => {
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

t("npm run size's floor figure is this code's bundle size", async () => {
  assert.is(await tinyFloor(), Buffer.byteLength(await code()));
});

t.run();
