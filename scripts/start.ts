/**
 * `npm start`, the main job: build the bundles, start an MQTT broker (aedes,
 * in-process, on a free loopback port, or the one in MQTT_URL), run a
 * simulated ESP32 sensor that executes the real dist/esp32-<profile>.js bundle
 * on Espruino's semantics (the stand-in's net sockets: binary strings in
 * chunks of at most 536 bytes; every object has on/emit), and a Node
 * subscriber that prints the traffic. Ends with a summary: messages, bytes on
 * the sensor's wire, pings.
 *
 *   npm start [-- --seconds 20 --profile core --interval 1000]
 *
 * Each profile on its own API: core and tiny hand payloads over as binary
 * strings (one char per byte), full as Uint8Array; tiny is QoS 0 only and
 * takes {host, port} options rather than a URL.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import { buildAll } from "./build";
import { repoPath } from "./lib/paths";
import { installEspruino } from "../test/support/espruino-standin";
import { installObjectEvents } from "../test/support/espruino-bundle";
import { connect as nodeConnect } from "../src/entry/node";

function arg(name: string, def: string): string {
  const i = process.argv.indexOf("--" + name);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

const seconds = +arg("seconds", "16");
const profile = arg("profile", "core");
const interval = +arg("interval", "1000");
const keepalive = +arg("keepalive", "4");

/** A pass-through TCP proxy in front of the broker that counts the sensor's bytes on the wire. */
async function countingProxy(host: string, port: number) {
  const counts = { up: 0, down: 0 };
  const server = net.createServer((c) => {
    const b = net.connect(port, host);
    c.on("data", (d) => ((counts.up += d.length), b.write(d)));
    b.on("data", (d) => ((counts.down += d.length), c.write(d)));
    c.on("close", () => b.destroy());
    b.on("close", () => c.destroy());
    c.on("error", () => b.destroy());
    b.on("error", () => c.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { counts, port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

async function main() {
  await buildAll();
  let host = "127.0.0.1",
    port = 0,
    stopBroker = async () => {};
  const pings = { count: 0 };
  if (process.env.MQTT_URL) {
    const u = new URL(process.env.MQTT_URL);
    host = u.hostname;
    port = +u.port || 1883;
    console.log(`broker: ${process.env.MQTT_URL} (MQTT_URL)`);
  } else {
    const { Aedes } = await import("aedes");
    const broker = await Aedes.createBroker();
    broker.on("ping", () => pings.count++);
    const server = net.createServer(broker.handle);
    await new Promise<void>((r) => server.listen(0, host, r));
    port = (server.address() as net.AddressInfo).port;
    stopBroker = () => new Promise<void>((r) => broker.close(() => server.close(() => r())));
    console.log(`broker: aedes in-process on mqtt://${host}:${port}`);
  }
  const proxy = await countingProxy(host, port);

  // The subscriber: the Node build of wren-mqtt.
  let received = 0,
    readings = 0;
  const t0 = Date.now();
  const stamp = () => ((Date.now() - t0) / 1000).toFixed(2).padStart(6) + "s";
  const sub = nodeConnect(`mqtt://${host}:${port}`, { clientId: "wren-viewer", keepalive: 30 });
  await new Promise<void>((r) => sub.on("connect", () => r()));
  sub.on("message", (topic: string, payload: Uint8Array, p: { qos: number; retain: boolean }) => {
    received++;
    if (topic.endsWith("/temp")) readings++;
    console.log(`${stamp()}  ${topic.padEnd(22)} qos${p.qos}${p.retain ? " retain" : ""}  ${Buffer.from(payload).toString()}`);
  });
  await new Promise<void>((r) => sub.subscribe("wren/#", { qos: 2 }, () => r()));

  // The sensor: the real ESP32 bundle on Espruino semantics.
  const file = repoPath("dist", `esp32-${profile}.js`);
  const code = fs.readFileSync(file, "utf8");
  installObjectEvents();
  const standin = installEspruino({ chip: "ESP32", serial: "24:0a:c4:12:34:56" });
  const moduleExports: any = {};
  new Function("exports", "require", code)(moduleExports, (globalThis as any).require);
  console.log(`sensor: ${file.replace(repoPath(""), "")} (${code.length} B) on the Espruino stand-in, publishing every ${interval} ms for ${seconds / 2} s, then idle`);
  let seq = 0,
    acked = 0,
    commands = 0;
  const tiny = profile == "tiny",
    qos = tiny ? 0 : 1;
  const sensor = tiny
    ? moduleExports.connect({ host: "127.0.0.1", port: proxy.port, keepalive, clientId: "esp32-sensor" })
    : moduleExports.connect(`mqtt://127.0.0.1:${proxy.port}`, { keepalive, clean: false, clientId: "esp32-sensor" });
  sensor.on("connect", (ack?: { sessionPresent: boolean }) => {
    console.log(`${stamp()}  sensor connected${ack ? (ack.sessionPresent ? " (session present)" : " (new session)") : ""}`);
    if (tiny) sensor.subscribe("wren/esp32-sensor/cmd");
    else sensor.subscribe("wren/esp32-sensor/cmd", { qos: 2 });
  });
  // core, tiny: a binary string (one char per byte); full: a Uint8Array
  sensor.on("message", (topic: string, payload: string | Uint8Array) => {
    commands++;
    const bytes = typeof payload == "string" ? Buffer.from(payload, "latin1") : Buffer.from(payload);
    console.log(`${stamp()}  sensor got ${topic} ${bytes.toString()} (${typeof payload == "string" ? "binary string" : "Uint8Array"}, ${bytes.length} B)`);
  });
  sensor.on("error", (e: Error) => console.log(`${stamp()}  sensor error ${e.message}`));
  const timer = setInterval(() => {
    const reading = JSON.stringify({ seq: ++seq, t: +(21 + Math.sin(seq / 3) * 2).toFixed(2), v: 3.71 });
    sensor.publish("wren/esp32-sensor/temp", reading, { qos }, (err?: Error) => {
      if (!err) acked++;
    });
  }, interval);
  setTimeout(() => clearInterval(timer), (seconds * 1000) / 2);
  setTimeout(() => sub.publish("wren/esp32-sensor/cmd", "led=on", { qos: 2 }), 1500);
  await new Promise((r) => setTimeout(r, seconds * 1000));

  sensor.end();
  await new Promise((r) => setTimeout(r, 200));
  standin.uninstall();
  sub.end();
  proxy.close();
  await stopBroker();
  console.log("\nsummary");
  console.log(`  readings published ${seq}, ${qos ? "acknowledged (PUBACK)" : "written (QoS 0)"} ${acked}, received by the viewer ${readings}`);
  console.log(`  messages seen by the viewer in all: ${received}`);
  console.log(`  commands delivered to the sensor (QoS ${tiny ? 0 : 2}) ${commands}`);
  console.log(`  sensor bytes on the wire: ${proxy.counts.up} sent, ${proxy.counts.down} received; largest socket chunk ${standin.net.maxChunk} B`);
  console.log(`  PINGREQ seen by the broker: ${pings.count} (keepalive ${keepalive} s: none while the sensor sends, then about one per keepalive when idle)`);
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
