/**
 * The Espruino examples in examples/ run as shipped, each on its board's real
 * bundle (built in memory like `npm run build`) on the Espruino stand-in,
 * against aedes. Only the broker address (and, for TLS, the CA placeholder)
 * is replaced in the source, each replacement checked to happen once. Board
 * I/O the stand-in does not have (pins, `digitalWrite`, `E.getTemperature`)
 * is supplied here, and the examples' own timers run 100 times faster so a
 * minute-long interval fits a test. (examples/node-gateway.ts is type-checked
 * by `npm run typecheck` with the rest.)
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as tls from "node:tls";
import type { Socket } from "node:net";
import type mqtt from "mqtt";
import { buildBoardBundle } from "../scripts/lib/bundle";
import { loadBoard } from "../scripts/lib/boards";
import type { Profile } from "../scripts/lib/boards";
import { runBundle, type EspruinoBundle } from "./support/espruino-bundle";
import type { StandinOptions } from "./support/espruino-standin";
import { startAedes, type AedesBroker } from "./support/aedes";
import { makeCerts } from "./support/certs";
import { peer, sleep, until } from "./support/board-brokers";

/** The examples' timers run this many times faster. */
const SPEED = 100;

interface Run {
  bundle: EspruinoBundle;
  logs: string[];
  /** digitalWrite(pin, value) calls */
  pins: [string, boolean][];
  /** The clients the example made (to end them after the test). */
  clients: any[];
  stop(): void;
}

interface Ctx {
  runs: Run[];
  peers: mqtt.MqttClient[];
  stops: (() => Promise<void> | void)[];
}

/** Run examples/<file> on the `profile` bundle of `board`, with `replace` applied to its source. */
async function runExample(c: Ctx, file: string, board: string, profile: Profile, replace: [string, string][], opts: StandinOptions = {}): Promise<Run> {
  let src = fs.readFileSync(new URL("../examples/" + file, import.meta.url), "utf8");
  for (const [from, to] of replace) {
    assert.is(src.split(from).length, 2, file + " holds " + JSON.stringify(from) + " once");
    src = src.split(from).join(to);
  }
  const code = (await buildBoardBundle(loadBoard(board), profile)).code;
  const bundle = runBundle(code, opts);
  const run: Run = { bundle, logs: [], pins: [], clients: [], stop: () => {} };
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const fast = (ms: number) => Math.max(1, Math.round(ms / SPEED));
  const wren = {
    connect(...a: any[]) {
      const client = bundle.exports.connect(...a);
      run.clients.push(client);
      return client;
    },
  };
  const req = (m: string) => (m == "wren-mqtt" ? wren : bundle.standin.globals.require(m));
  const E = Object.assign(Object.create(bundle.standin.globals.E), { getTemperature: () => 21.54 });
  const console = { log: (...a: unknown[]) => run.logs.push(a.map(String).join(" ")) };
  const board_ = {
    setTimeout: (fn: () => void, ms: number) => {
      const t = setTimeout(() => (timers.delete(t), fn()), fast(ms));
      timers.add(t);
      return t;
    },
    setInterval: (fn: () => void, ms: number) => {
      const t = setInterval(fn, fast(ms));
      timers.add(t);
      return t;
    },
    clearTimeout: (t: any) => (clearTimeout(t), timers.delete(t)),
    clearInterval: (t: any) => (clearInterval(t), timers.delete(t)),
    digitalWrite: (pin: string, v: boolean) => run.pins.push([pin, v]),
  };
  const names = ["require", "E", "console", "A0", "D2", ...Object.keys(board_)];
  new Function(...names, src)(req, E, console, "A0", "D2", ...Object.values(board_));
  run.stop = () => {
    run.stop = () => {};
    for (const t of timers) clearTimeout(t), clearInterval(t);
    for (const client of run.clients) client.end(true);
    bundle.uninstall();
  };
  c.runs.push(run);
  return run;
}

const t = suite<Ctx>("examples", { runs: [], peers: [], stops: [] });
t.before.each((c) => {
  c.runs = [];
  c.peers = [];
  c.stops = [];
});
t.after.each(async (c) => {
  for (const r of c.runs) r.stop();
  for (const p of c.peers) await new Promise<void>((r) => p.end(true, {}, () => r()));
  for (const s of c.stops.reverse()) await s();
});

/** aedes for this test, recording subscriptions and DISCONNECTs by client id. */
async function aedes(c: Ctx, o: Parameters<typeof startAedes>[0] = {}) {
  const a = await startAedes(o);
  c.stops.push(() => a.stop());
  const subs: string[] = [];
  const disconnects: string[] = [];
  a.broker.on("subscribe", (s: { topic: string; qos: number }[], cl: { id: string }) => {
    for (const x of s) subs.push(cl.id + " " + x.topic + " " + x.qos);
  });
  a.broker.on("clientDisconnect", (cl: { id: string; _disconnected?: boolean }) => cl._disconnected && disconnects.push(cl.id));
  return { ...a, subs, disconnects };
}

/** An MQTT.js peer on `url` subscribed to `filter`, collecting [topic, payload, retain]. */
async function watcher(c: Ctx, b: AedesBroker, id: string, filter: string) {
  const p = await peer(c, b.url, id);
  const got: [string, string, boolean][] = [];
  p.on("message", (topic, payload, packet) => got.push([topic, payload.toString("latin1"), packet.retain]));
  await p.subscribeAsync(filter, { qos: 1 });
  return { p, got };
}

t("esp8266-tiny-sensor.js on the esp8266 tiny bundle: subscribes to its LED topic, drives D2 from it, publishes a reading every 10 s", async (c) => {
  const b = await aedes(c);
  const id = "esp8266-30aea40c1234"; // "esp8266-" + the stand-in's getSerial() without non-word chars
  const w = await watcher(c, b, "watch-tiny", "sensors/" + id + "/temp");
  const run = await runExample(c, "esp8266-tiny-sensor.js", "esp8266", "tiny", [['host: "broker.example.net"', 'host: "127.0.0.1", port: ' + b.port]], {
    chip: "ESP8266",
  });
  await until("LED subscription", () => b.subs.includes(id + " sensors/" + id + "/led 0"));
  await w.p.publishAsync("sensors/" + id + "/led", "on");
  await until("D2 on", () => run.pins.length == 1);
  await w.p.publishAsync("sensors/" + id + "/led", "off");
  await until("D2 off", () => run.pins.length == 2);
  assert.equal(run.pins, [
    ["D2", true],
    ["D2", false],
  ]);
  // every 10 s (here 100 ms) a reading: E.getTemperature().toFixed(1)
  await until("two readings", () => w.got.length >= 2);
  assert.equal(w.got.slice(0, 2), [
    ["sensors/" + id + "/temp", "21.5", false],
    ["sensors/" + id + "/temp", "21.5", false],
  ]);
  assert.equal(run.logs, []);
  assert.equal(run.bundle.standin.violations, []);
});

t("esp32-tls-sensor.js on the esp32 core bundle: TLS with its PEM CA converted to DER (verified), credentials, will, retained online flag, QoS 1 readings", async (c) => {
  const certs = makeCerts();
  c.stops.push(() => certs.cleanup());
  const creds: string[] = [];
  const a = await startAedes({
    // the sensor must log in as the example says; the test's own peers need not
    authenticate: (id, user, pass) => (creds.push(id + " " + user + " " + (pass && pass.toString())), /^(watch|late)/.test(id) || (user == "sensor" && String(pass) == "secret")),
  });
  c.stops.push(() => a.stop());
  // the same broker behind TLS
  const sockets = new Set<Socket>();
  const server = tls.createServer({ key: certs.key, cert: certs.cert }, (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    a.broker.handle(s);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  c.stops.push(() => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))));
  const port = (server.address() as { port: number }).port;
  const id = "30aea4-0c1234"; // the stand-in's getSerial()
  const w = await watcher(c, a, "watch-tls", "sensors/" + id + "/#");
  const caLiteral = '"-----BEGIN CERTIFICATE-----\\n...your broker CA...\\n-----END CERTIFICATE-----"';
  const run = await runExample(
    c,
    "esp32-tls-sensor.js",
    "esp32",
    "core",
    [
      ['"mqtts://broker.example.net:8883"', '"mqtts://127.0.0.1:' + port + '"'],
      [caLiteral, JSON.stringify(certs.ca)],
    ],
    // the firmware does not check the server certificate; here it is checked against the example's `ca`
    { chip: "ESP32", tlsVerify: true },
  );
  await until("online flag", () => w.got.some((m) => m[0].endsWith("/online")));
  assert.equal(w.got[0], ["sensors/" + id + "/online", "1", false]);
  assert.ok(creds.some((x) => / sensor secret$/.test(x)), creds.join("; "));
  assert.ok(run.bundle.standin.net.sockets[0].tls);
  // a reading every minute (here 600 ms), QoS 1, acknowledged: no "reading not delivered"
  await until("a reading", () => w.got.some((m) => m[0].endsWith("/temp")), 5000);
  assert.equal(
    w.got.filter((m) => m[0].endsWith("/temp"))[0],
    ["sensors/" + id + "/temp", "21.5", false],
  );
  // the link lost without DISCONNECT: the broker publishes the will, retained
  for (const s of sockets) s.destroy(); // (only the sensor uses TLS; the test's peers do not)
  await until("will", () => w.got.some((m) => m[0].endsWith("/online") && m[1] == "0"));
  const retained = await peer(c, "mqtt://127.0.0.1:" + a.port, "late");
  const late: [string, string, boolean][] = [];
  retained.on("message", (topic, payload, packet) => late.push([topic, payload.toString(), packet.retain]));
  await retained.subscribeAsync("sensors/" + id + "/online", { qos: 1 });
  await until("retained flag", () => late.length > 0);
  // (the client reconnects and says "1" again: the retained value is whichever came last)
  assert.ok(late[0][2] && (late[0][1] == "0" || late[0][1] == "1"), JSON.stringify(late));
  assert.equal(run.logs, []);
  assert.equal(run.bundle.standin.violations, []);
});

t("esp8266-deep-sleep-sensor.js on the esp8266 core bundle: a QoS 1 reading, DISCONNECT, deep sleep; the next wake gets the command queued meanwhile", async (c) => {
  const b = await aedes(c);
  const id = "esp8266-30aea4-0c1234";
  const w = await watcher(c, b, "watch-sleep", "sensors/esp8266/battery");
  const replace: [string, string][] = [['"mqtt://broker.example.net"', '"mqtt://127.0.0.1:' + b.port + '"']];
  const opts: StandinOptions = { chip: "ESP8266", analog: { A0: 0.9 } };
  const first = await runExample(c, "esp8266-deep-sleep-sensor.js", "esp8266", "core", replace, opts);
  await until("asleep", () => first.bundle.standin.sleeps.length > 0);
  // 5 minutes, option 0; only after the PUBACK and a DISCONNECT (the session kept, no will)
  assert.equal(first.bundle.standin.sleeps, [300000000]);
  assert.is(first.bundle.standin.sleepOption, 0);
  await until("DISCONNECT", () => b.disconnects.includes(id));
  assert.equal(w.got, [["sensors/esp8266/battery", "3.78", false]]); // (0.9 * 4.2).toFixed(2)
  assert.ok(b.subs.includes(id + " sensors/esp8266/cmd 1"), b.subs.join("; "));
  first.stop();
  // while it sleeps: a command, kept by the broker for the persistent session
  await w.p.publishAsync("sensors/esp8266/cmd", "led=on", { qos: 1 });
  await sleep(20);
  const second = await runExample(c, "esp8266-deep-sleep-sensor.js", "esp8266", "core", replace, opts);
  await until("asleep again", () => second.bundle.standin.sleeps.length > 0);
  assert.ok(second.logs.includes("command sensors/esp8266/cmd led=on"), second.logs.join("; "));
  // (aedes acknowledges a QoS 1 PUBLISH before it forwards it)
  await until("the second reading", () => w.got.length >= 2);
  await sleep(20);
  assert.equal(w.got, [
    ["sensors/esp8266/battery", "3.78", false],
    ["sensors/esp8266/battery", "3.78", false],
  ]);
  assert.equal(first.bundle.standin.violations, []);
  assert.equal(second.bundle.standin.violations, []);
});

t.run();
