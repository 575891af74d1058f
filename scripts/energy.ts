/**
 * `npm run energy [-- --board esp8266] [--qos 0|1] [--idle modem|light] [--rtt ms] [--capacity mAh] [--svg file]`
 *
 * Simulates one day of a sensor on the virtual clock with the REAL client
 * (src/client) on the memory HAL against a small simulated broker
 * (scripts/lib/sim-broker.ts), for three workloads (one 20-byte reading per
 * minute, per 5 minutes, per hour) and five keepalive strategies, then prices
 * the exact packet trace with the power model (scripts/lib/power-model.ts,
 * board figures from boards/<id>.json). `--idle light` prices the connected
 * strategies with automatic light sleep instead of modem sleep. Prints a table and writes a bar
 * chart of battery life to dist/energy.svg.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Client } from "../src/client/client";
import { installEmitter } from "../src/client/emitter";
import { KeepaliveAction, type KeepalivePolicy } from "../src/client/keepalive";
import { Liveness } from "../src/client/liveness";
import type { QoS } from "../src/codec/packet";
import { memoryHal, simulatedPower, type MemoryHal } from "../src/hal/memory";
import { restore, sleep } from "../src/client/session-record";
import { simBroker, type SimBroker } from "./lib/sim-broker";
import { ASSUMPTIONS, energy, powerFigures, type Energy, type Trace } from "./lib/power-model";
import { repoPath } from "./lib/paths";

installEmitter(Client.prototype);

const DAY = 864e5;
const TOPIC = "sensors/t1";
const PAYLOAD = new Uint8Array(20).fill(0x31); // one 20-byte reading

/** Pings every `every` ms whatever else is sent or received (Espruino's MQTT module: setInterval, 40 s). */
class FixedPing implements KeepalivePolicy {
  _e: number;
  _l = 0;
  _on = false;
  constructor(every: number) {
    this._e = every;
  }
  start(now: number) {
    this._l = now;
    this._on = true;
  }
  sent() {}
  received() {}
  next() {
    return this._on ? this._l + this._e : -1;
  }
  timer(now: number) {
    if (now < this._l + this._e) return KeepaliveAction.NONE;
    this._l = now;
    return KeepaliveAction.PING;
  }
}

interface Strategy {
  name: string;
  /** keepalive s and policy for the connected strategies; null: duty-cycled deep sleep */
  ka?: number;
  policy?: () => KeepalivePolicy;
}

const STRATEGIES: Strategy[] = [
  { name: "fixed 40 s ping (Espruino MQTT)", ka: 60, policy: () => new FixedPing(40000) },
  { name: "ping every keepalive (60 s)", ka: 60, policy: () => new FixedPing(60000) },
  { name: "wren idle-only, keepalive 60 s", ka: 60, policy: () => new Liveness(0, 10000) },
  { name: "wren idle-only, SAVE band (240 s)", ka: 240, policy: () => new Liveness(0, 10000) },
  { name: "wren duty-cycled deep sleep" },
];

const WORKLOADS = [
  { name: "1 reading / min", period: 60000 },
  { name: "1 reading / 5 min", period: 300000 },
  { name: "1 reading / hour", period: 3600000 },
];

function traceOf(broker: SimBroker, latency: number, span: number, wakes?: [number, number][]): Trace {
  // the broker logs its own times; the device sends `latency` earlier and receives `latency` later
  return {
    span,
    wakes,
    packets: broker.log.map((l) => ({ t: l.dir == 0 ? l.t - latency : l.t + latency, dir: l.dir, bytes: l.bytes, type: l.type })),
  };
}

function setupHal(rtt: number): { hal: MemoryHal; broker: SimBroker } {
  const hal = memoryHal({ latency: rtt / 2 });
  return { hal, broker: simBroker(hal.net, hal.clock) };
}

/** A connected day: connect once, publish every `period`, the policy decides the pings. */
export function connectedDay(s: Strategy, period: number, qos: QoS, rtt: number): { trace: Trace; pings: number } {
  const { hal, broker } = setupHal(rtt);
  const client = new Client({ clientId: "sensor", host: "sim", port: 1883, keepalive: s.ka, keepalivePolicy: s.policy!() }, hal);
  client.on("error", (e: Error) => {
    throw e;
  });
  client.connect();
  // like setInterval: the next reading is scheduled before this one is handled
  const tick = () => {
    hal.clock.setTimer(tick, period);
    client.publish(TOPIC, PAYLOAD, { qos });
  };
  hal.clock.setTimer(tick, period);
  hal.clock.advanceTo(DAY);
  const pings = broker.log.filter((l) => l.type == 12).length;
  return { trace: traceOf(broker, rtt / 2, DAY), pings };
}

/**
 * A duty-cycled day: at each reading the device wakes (boot + WiFi
 * association, from the power model), a fresh client restores the session
 * record and resumes it (clean = false), publishes QoS 1, and sleep() waits
 * for the PUBACK, saves the session, disconnects and deep-sleeps until the
 * next reading.
 */
export function dutyDay(period: number, rtt: number, board: string): { trace: Trace; pings: number } {
  const { hal, broker } = setupHal(rtt);
  const pw = powerFigures(board);
  const wakes: [number, number][] = [];
  let asleep = -1;
  const power = simulatedPower({ battery: 0.15, onDeepSleep: () => (asleep = hal.clock.now()) });
  for (let w = 0; w + period <= DAY; w += period) {
    hal.clock.advanceTo(w + period);
    const start = hal.clock.now();
    hal.clock.advanceTo(start + ASSUMPTIONS.boot + pw.wifiConnect_ms);
    // a fresh boot: restore the session saved before the last deep sleep
    const client = new Client({ clientId: "sensor", host: "sim", port: 1883, keepalive: 60, clean: false }, { ...hal, power });
    client.on("error", (e: Error) => {
      throw e;
    });
    const err = restore(client as any);
    if (err) throw err;
    client.connect();
    client.publish(TOPIC, PAYLOAD, { qos: 1 });
    asleep = -1;
    sleep(client as any, period, undefined, { wait: 5000 });
    while (asleep < 0 && hal.clock.runNext());
    if (asleep < 0) throw new Error("duty cycle: never slept");
    wakes.push([start, asleep]);
  }
  hal.clock.advanceTo(DAY);
  return { trace: traceOf(broker, rtt / 2, DAY, wakes), pings: broker.log.filter((l) => l.type == 12).length };
}

function arg(name: string, def: string): string {
  const i = process.argv.indexOf("--" + name);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

function svg(rows: { workload: string; strategy: string; e: Energy }[], title: string): string {
  const W = 860,
    left = 270,
    barH = 16,
    gap = 4,
    groupGap = 18,
    top = 50,
    colors = ["#c0392b", "#e67e22", "#2980b9", "#16a085", "#8e44ad"];
  const maxDays = Math.max(...rows.map((r) => r.e.days));
  // log scale: battery life spans two orders of magnitude
  const lo = 1,
    hi = Math.pow(10, Math.ceil(Math.log10(maxDays)));
  const x = (d: number) => left + ((W - left - 70) * Math.log10(Math.max(lo, d) / lo)) / Math.log10(hi / lo);
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  let y = top;
  let body = "";
  let group = "";
  for (const r of rows) {
    if (r.workload != group) {
      if (group) y += groupGap;
      group = r.workload;
      body += `<text x="10" y="${y + 12}" font-weight="bold">${esc(group)}</text>\n`;
      y += 18;
    }
    const c = colors[STRATEGIES.findIndex((s) => s.name == r.strategy) % colors.length];
    body += `<text x="${left - 8}" y="${y + 12}" text-anchor="end">${esc(r.strategy)}</text>\n`;
    body += `<rect x="${left}" y="${y}" width="${(x(r.e.days) - left).toFixed(1)}" height="${barH}" fill="${c}"/>\n`;
    body += `<text x="${(x(r.e.days) + 5).toFixed(1)}" y="${y + 12}">${r.e.days.toFixed(1)} d</text>\n`;
    y += barH + gap;
  }
  let axis = "";
  for (let d = lo; d <= hi; d *= 10) {
    axis += `<line x1="${x(d)}" y1="${top - 6}" x2="${x(d)}" y2="${y}" stroke="#ccc"/>\n`;
    axis += `<text x="${x(d)}" y="${y + 16}" text-anchor="middle">${d} d</text>\n`;
  }
  const H = y + 40;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">
<rect width="${W}" height="${H}" fill="white"/>
<text x="10" y="22" font-size="15" font-weight="bold">${esc(title)}</text>
<text x="10" y="38" fill="#555">battery life in days (log scale), from the simulated packet trace of one day</text>
${axis}${body}</svg>
`;
}

function main() {
  const board = arg("board", "esp32");
  const qos = +arg("qos", "1") as QoS;
  const rtt = +arg("rtt", String(ASSUMPTIONS.rtt));
  const capacity = +arg("capacity", "2000");
  const out = arg("svg", repoPath("dist", "energy.svg"));
  const pw = powerFigures(board);
  // --idle light: automatic light sleep between DTIM beacons (ESP-IDF native firmware; Espruino uses modem sleep)
  const light = arg("idle", "modem") == "light";
  const a = { ...ASSUMPTIONS, rtt, lightSleep: light };
  const rows: { workload: string; strategy: string; e: Energy; pings: number }[] = [];
  for (const w of WORKLOADS)
    for (const s of STRATEGIES) {
      const r = s.policy ? connectedDay(s, w.period, qos, rtt) : dutyDay(w.period, rtt, board);
      rows.push({ workload: w.name, strategy: s.name, e: energy(r.trace, pw, a, capacity), pings: r.pings });
    }
  const head = ["workload", "strategy", "packets/day", "PINGREQ/day", "MQTT bytes/day", "radio-on s/day", "mAh/day", `days on ${capacity} mAh`];
  const table = rows.map((r) => [
    r.workload,
    r.strategy,
    String(Math.round(r.e.packets)),
    String(r.pings),
    String(Math.round(r.e.bytes)),
    r.e.radioOnS.toFixed(0),
    r.e.mAh.toFixed(1),
    r.e.days.toFixed(1),
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(width[i]) : c.padStart(width[i]))).join("  ");
  console.log(
    `wren-mqtt energy model: board ${board}, readings QoS ${qos} (duty cycle: QoS 1), rtt ${rtt} ms, 20-byte payload on "${TOPIC}", connected idle: ${light ? "light" : "modem"}-sleep`,
  );
  console.log(`power figures: ${pw.sources}`);
  console.log("");
  console.log(line(head));
  console.log(width.map((n) => "-".repeat(n)).join("  "));
  let g = "";
  for (let i = 0; i < table.length; i++) {
    if (g && rows[i].workload != g) console.log("");
    g = rows[i].workload;
    console.log(line(table[i]));
  }
  console.log("");
  console.log(
    "Connected strategies pay " +
      (light ? "light-sleep current (" + pw.lightSleep_mA + " mA) plus beacon wake-ups" : "modem-sleep current (" + pw.modemSleep_mA + " mA)") +
      " all day; each packet adds a radio burst. Duty-cycled pays boot + WiFi association (" +
      pw.wifiConnect_ms +
      " ms at " +
      pw.wifiConnect_mA +
      " mA) per reading and deep sleep (" +
      pw.deepSleep_mA * 1000 +
      " uA) between. Timing assumptions: scripts/lib/power-model.ts.",
  );
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, svg(rows, `wren-mqtt: battery life on ${capacity} mAh, ${board}, 20-byte readings`));
  console.log("wrote " + path.relative(process.cwd(), out));
}

main();
