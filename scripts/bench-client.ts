/**
 * Client bench: wren-mqtt against MQTT.js, same broker, same run.
 *
 * - Throughput at QoS 0, 1, 2: one publisher and one subscriber client of the
 *   same library on a mosquitto started here on loopback. The publisher keeps
 *   at most WINDOW messages outstanding (published, not yet received by the
 *   subscriber) so neither library is measured on how much it can buffer;
 *   the clock stops when the subscriber got N messages.
 * - Heap bytes per connected idle client with one subscription: CLIENTS
 *   clients connected and subscribed, V8 heapUsed delta after forced GC
 *   (--expose-gc), divided by CLIENTS.
 *
 * Every measurement runs in its own child node process so heaps and JIT state
 * do not mix; the libraries alternate, each throughput is the best of ROUNDS.
 *
 * Run: `npx tsx scripts/bench-client.ts` (or through `npm run bench`).
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startMosquitto } from "../test/support/mosquitto";

type Lib = "wren" | "mqttjs" | "socket";
type QoS = 0 | 1 | 2;

const N: Record<QoS, number> = { 0: 20000, 1: 10000, 2: 10000 };
const WINDOW = 500;
const ROUNDS = 3;
const CLIENTS = 500;
const PAYLOAD = 64;
const WREN_WINDOW = Number(process.env.WREN_BENCH_WINDOW || 64);

/** What the bench needs from a client library. */
interface BenchClient {
  subscribe(topic: string, qos: QoS): Promise<void>;
  onMessage(fn: () => void): void;
  publish(topic: string, payload: Uint8Array, qos: QoS): void;
  end(): Promise<void>;
}

async function connectLib(lib: Lib, port: number, clientId: string): Promise<BenchClient> {
  if (lib === "socket") return rawClient(port, clientId);
  if (lib === "mqttjs") {
    const mqtt = (await import("mqtt")).default;
    const c = await mqtt.connectAsync({
      host: "127.0.0.1",
      port,
      clientId,
      clean: true,
      keepalive: 60,
      reconnectPeriod: 0,
    });
    return {
      subscribe: async (topic, qos) => {
        await c.subscribeAsync(topic, { qos });
      },
      onMessage: (fn) => c.on("message", fn),
      publish: (topic, payload, qos) => c.publish(topic, payload as Buffer, { qos }),
      end: () => c.endAsync(),
    };
  }
  const w = await wrenApi();
  const c = w.createClient(
    {
      host: "127.0.0.1",
      port,
      clientId,
      clean: true,
      keepalive: 60,
      reconnect: false,
      // The defaults are sized for a microcontroller (8 in flight, 16 queued):
      // on Node the bench lets it keep as much in flight as the bench window.
      inflightWindow: WREN_WINDOW,
      queue: { limit: 100000, bytes: 1 << 30 },
    },
    w.hal
  );
  await new Promise<void>((resolve, reject) => {
    c.once("connect", () => resolve());
    c.once("error", reject);
    c.connect();
  });
  return {
    subscribe: (topic, qos) =>
      new Promise<void>((resolve, reject) =>
        c.subscribe(topic, { qos }, (err?: Error | null) => (err ? reject(err) : resolve()))
      ),
    onMessage: (fn) => c.on("message", fn),
    publish: (topic, payload, qos) => c.publish(topic, payload, { qos }),
    end: () => new Promise<void>((resolve) => c.end(false, () => resolve())),
  };
}

// The wren API as a Node user gets it (the Node entry), with one shared Node
// HAL (stateless: a transport factory and a clock). Until the entry exports
// the client, the client module plus the emitter mix-in.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let wrenCache: { createClient: any; hal: any } | undefined;
async function wrenApi() {
  if (!wrenCache) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const entry: any = await import("../src/entry/node");
    if (entry.createClient && entry.nodeHal) wrenCache = { createClient: entry.createClient, hal: entry.nodeHal() };
    else {
      const client = await import("../src/client/index");
      const hal = await import("../src/hal/node/index");
      client.installEmitter(client.Client.prototype);
      wrenCache = { createClient: client.createClient, hal: hal.nodeHal() };
    }
  }
  return wrenCache;
}

/**
 * The floor under any Node MQTT client: a bare net.Socket that sends a
 * hand-made CONNECT and SUBSCRIBE and keeps nothing else.
 */
async function rawClient(port: number, clientId: string): Promise<BenchClient> {
  const net = await import("node:net");
  const s = net.connect(port, "127.0.0.1");
  const id = Buffer.from(clientId);
  const connect = Buffer.concat([
    Buffer.from([0x10, 12 + id.length, 0, 4, 77, 81, 84, 84, 4, 2, 0, 60, id.length >> 8, id.length & 255]),
    id,
  ]);
  let acks = 0;
  let waiting: (() => void) | undefined;
  s.on("data", (d) => {
    for (const b of d) if (b === 0x20 || b === 0x90) acks++;
    if (waiting) waiting();
  });
  s.write(connect);
  await new Promise<void>((r) => (waiting = () => acks >= 1 && r()));
  return {
    subscribe: (topic, qos) => {
      const t = Buffer.from(topic);
      s.write(Buffer.concat([Buffer.from([0x82, 5 + t.length, 0, 1, t.length >> 8, t.length & 255]), t, Buffer.from([qos])]));
      return new Promise<void>((r) => (waiting = () => acks >= 2 && r()));
    },
    onMessage: () => {},
    publish: () => {},
    end: async () => void s.end(),
  };
}

/** Child: messages/s for one library at one QoS. */
async function childThroughput(lib: Lib, qos: QoS, port: number): Promise<number> {
  const n = N[qos];
  const tag = lib + "-" + process.pid + "-" + qos;
  const topic = "bench/" + tag;
  const sub = await connectLib(lib, port, "s-" + tag);
  const pub = await connectLib(lib, port, "p-" + tag);
  await sub.subscribe(topic, qos);
  const payload = new Uint8Array(PAYLOAD);
  for (let i = 0; i < PAYLOAD; i++) payload[i] = i;
  let sent = 0;
  let got = 0;
  const t0 = performance.now();
  let t1 = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(lib + " qos " + qos + ": got " + got + "/" + n)), 30000);
    const top = () => {
      while (sent < n && sent - got < WINDOW) {
        sent++;
        pub.publish(topic, payload, qos);
      }
    };
    sub.onMessage(() => {
      got++;
      if (got === n) {
        t1 = performance.now();
        clearTimeout(timer);
        resolve();
      } else if (sent - got <= WINDOW / 2) top();
    });
    top();
  });
  await Promise.all([sub.end(), pub.end()]);
  return (n * 1000) / (t1 - t0);
}

/** Child: V8 heap bytes per connected, subscribed, idle client. */
async function childHeap(lib: Lib, port: number): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with --expose-gc");
  const settle = async () => {
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 20));
      gc();
    }
  };
  const tag = lib + "-" + process.pid;
  // Warm up: load the library and its lazily created state with one client.
  const w = await connectLib(lib, port, "w-" + tag);
  await w.subscribe("idle/w/" + tag, 1);
  await w.end();
  await settle();
  const before = process.memoryUsage().heapUsed;
  const keep: BenchClient[] = [];
  for (let i = 0; i < CLIENTS; i += 50) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(CLIENTS, i + 50); j++) {
      batch.push(
        connectLib(lib, port, "i-" + tag + "-" + j).then(async (c) => {
          await c.subscribe("idle/" + tag + "/" + j, 1);
          keep.push(c);
        })
      );
    }
    await Promise.all(batch);
  }
  await settle();
  const after = process.memoryUsage().heapUsed;
  if (keep.length !== CLIENTS) throw new Error("clients: " + keep.length);
  return (after - before) / CLIENTS;
}

function runChild(args: string[]): Promise<number> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ["--expose-gc", "--import", "tsx", self, "--child", ...args], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    c.stdout.on("data", (d) => (out += d));
    c.on("exit", (code) => {
      const m = /RESULT (\S+)/.exec(out);
      if (code === 0 && m) resolve(Number(m[1]));
      else reject(new Error("child " + args.join(" ") + " failed (" + code + "): " + out));
    });
  });
}

export interface ClientBenchResult {
  throughput: { qos: QoS; wren: number; mqttjs: number; ratio: number }[];
  heap: { wren: number; mqttjs: number; ratio: number; socket: number };
  seconds: number;
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function clientTable(r: ClientBenchResult): string {
  const rows: string[][] = [["measure", "wren-mqtt", "MQTT.js", "ratio", "target", "ok"]];
  for (const t of r.throughput) {
    rows.push([
      "QoS " + t.qos + " msg/s (N=" + N[t.qos] + ")",
      fmt(t.wren),
      fmt(t.mqttjs),
      fmt(t.ratio, 2) + "x",
      ">= 1.50x",
      t.ratio >= 1.5 ? "yes" : "NO",
    ]);
  }
  rows.push([
    "heap B/idle client (" + CLIENTS + ")",
    fmt(r.heap.wren),
    fmt(r.heap.mqttjs),
    fmt(r.heap.ratio, 3) + "x",
    "<= 0.10x",
    r.heap.ratio <= 0.1 ? "yes" : "NO",
  ]);
  rows.push([
    "  of which bare net.Socket",
    fmt(r.heap.socket),
    fmt(r.heap.socket),
    "",
    "",
    "",
  ]);
  rows.push([
    "heap B/client above the socket",
    fmt(r.heap.wren - r.heap.socket),
    fmt(r.heap.mqttjs - r.heap.socket),
    fmt((r.heap.wren - r.heap.socket) / (r.heap.mqttjs - r.heap.socket), 3) + "x",
    "",
    "",
  ]);
  const w = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const line = (row: string[]) => row.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  ");
  return [line(rows[0]), w.map((x) => "-".repeat(x)).join("  "), ...rows.slice(1).map(line)].join("\n");
}

export async function runClientBench(log: (s: string) => void = console.log): Promise<ClientBenchResult> {
  const t0 = Date.now();
  const m = await startMosquitto({ quiet: true });
  try {
    const throughput: ClientBenchResult["throughput"] = [];
    for (const qos of [0, 1, 2] as QoS[]) {
      const best: Record<"wren" | "mqttjs", number> = { wren: 0, mqttjs: 0 };
      for (let r = 0; r < ROUNDS; r++) {
        for (const lib of (r % 2 ? ["wren", "mqttjs"] : ["mqttjs", "wren"]) as ("wren" | "mqttjs")[]) {
          best[lib] = Math.max(best[lib], await runChild(["tp", lib, String(qos), String(m.port)]));
        }
      }
      throughput.push({ qos, wren: best.wren, mqttjs: best.mqttjs, ratio: best.wren / best.mqttjs });
      log("  qos " + qos + ": wren " + fmt(best.wren) + " msg/s, MQTT.js " + fmt(best.mqttjs) + " msg/s");
    }
    const hm = await runChild(["heap", "mqttjs", "0", String(m.port)]);
    const hw = await runChild(["heap", "wren", "0", String(m.port)]);
    const hs = await runChild(["heap", "socket", "0", String(m.port)]);
    log("  heap/client: wren " + fmt(hw) + " B, MQTT.js " + fmt(hm) + " B, bare socket " + fmt(hs) + " B");
    return { throughput, heap: { wren: hw, mqttjs: hm, ratio: hw / hm, socket: hs }, seconds: (Date.now() - t0) / 1000 };
  } finally {
    await m.stop();
  }
}

async function main() {
  const a = process.argv;
  const i = a.indexOf("--child");
  if (i >= 0) {
    const [kind, lib, qos, port] = a.slice(i + 1);
    const v =
      kind === "tp"
        ? await childThroughput(lib as Lib, Number(qos) as QoS, Number(port))
        : await childHeap(lib as Lib, Number(port));
    process.stdout.write("RESULT " + v + "\n");
    process.exit(0);
  }
  console.log("client bench (mosquitto on loopback, " + PAYLOAD + "-byte payloads):");
  const r = await runClientBench();
  console.log("\n" + clientTable(r) + "\n(" + fmt(r.seconds, 1) + " s)");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
