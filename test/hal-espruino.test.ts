/**
 * The Espruino HAL over the Espruino stand-in: byte-exact conversions,
 * chunking, Storage atomicity, power, WiFi link (no dialing while down, one
 * dial when up), clock semantics, and the same stand-in run inside Duktape.
 */
import { test, suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { espruinoTransport, espruinoConnect, pemToDer } from "../src/hal/espruino/transport";
import { espruinoClock } from "../src/hal/espruino/clock";
import { espruinoStorage } from "../src/hal/espruino/storage";
import { espruinoPower } from "../src/hal/espruino/power";
import { espruinoLink } from "../src/hal/espruino/link";
import { espruinoClientId } from "../src/hal/espruino/id";
import { virtualClock } from "../src/hal/memory/clock";
import { createClient, installEmitter, Client } from "../src/client/index";
import { installEspruino, ESPRUINO_STANDIN_DUK, type Standin } from "./support/espruino-standin";
import { recorder, tcpServer, until, sleep } from "./support/hal-rigs";
import { dukBundleScript } from "./support/duk-bundle";

installEmitter(Client.prototype);

const all256 = () => {
  const u = new Uint8Array(256);
  for (let i = 0; i < 256; i++) u[i] = i;
  return u;
};

// ------------------------------------------------------------------ bytes
const bytes = suite("espruino transport: bytes and chunks");
let sb: Standin;
bytes.before.each(() => {
  sb = installEspruino({ chip: "ESP32" });
});
bytes.after.each(() => sb.uninstall());

bytes("E.toString / E.toUint8Array are exact for all 256 byte values", () => {
  const s = sb.E.toString(all256());
  assert.is(s.length, 256);
  for (let i = 0; i < 256; i++) assert.is(s.charCodeAt(i), i);
  const back = sb.E.toUint8Array(s);
  assert.instance(back, Uint8Array);
  assert.equal(Array.from(back), Array.from(all256()));
  assert.equal(sb.violations, []);
});

bytes("all 256 byte values cross the socket exactly, both ways; no violations", async () => {
  const srv = await tcpServer();
  try {
    const r = recorder();
    const c = espruinoTransport().connect({ host: "127.0.0.1", port: srv.port }, r.handler);
    const side = await srv.accept();
    await until(r.opened, "open");
    c.write(all256());
    await until(() => side.received().length >= 256, "server got 256");
    assert.equal(Array.from(side.received()), Array.from(all256()));
    side.send(all256());
    await until(() => r.bytes().length >= 256, "client got 256");
    assert.equal(Array.from(r.bytes()), Array.from(all256()));
    assert.equal(sb.violations, []);
    assert.ok(sb.net.writes.every((w) => typeof w === "string"));
    c.end();
    await until(r.closed, "close");
  } finally {
    await srv.stop();
  }
});

bytes("received data arrives in chunks of at most 536 bytes, bytes exact", async () => {
  const srv = await tcpServer();
  try {
    const r = recorder();
    const sizes: number[] = [];
    const c = espruinoTransport().connect({ host: "127.0.0.1", port: srv.port }, {
      ...r.handler,
      onData: (d) => {
        sizes.push(d.length);
        r.handler.onData(d);
      },
    });
    const side = await srv.accept();
    await until(r.opened, "open");
    const big = new Uint8Array(5000).map((_, i) => (i * 7) & 255);
    side.send(big);
    await until(() => r.bytes().length >= 5000, "5000 bytes");
    assert.equal(Array.from(r.bytes()), Array.from(big));
    assert.ok(Math.max(...sizes) <= 536, "max chunk " + Math.max(...sizes));
    assert.ok(sizes.length >= Math.ceil(5000 / 536), "chunks " + sizes.length);
    assert.is(sb.net.maxChunk, Math.max(...sizes));
    c.destroy();
    await until(r.closed, "close");
  } finally {
    await srv.stop();
  }
});

bytes("the stand-in shows a missing conversion: a Uint8Array written raw goes out as '1,2,3'", async () => {
  const srv = await tcpServer();
  try {
    const net = sb.globals.require("net");
    const s = net.connect({ host: "127.0.0.1", port: srv.port });
    const side = await srv.accept();
    s.write(new Uint8Array([1, 2, 3]));
    await until(() => side.received().length >= 5, "server bytes");
    assert.is(Buffer.from(side.received()).toString("latin1"), "1,2,3");
    assert.is(sb.violations.length, 1);
    assert.match(sb.violations[0], /Uint8Array/);
    s.end();
  } finally {
    await srv.stop();
  }
});

bytes("socket events: error, then end, then close(true); drain after writes; nothing inside connect", async () => {
  const srv = await tcpServer();
  try {
    const net = sb.globals.require("net");
    const seen: string[] = [];
    const s = net.connect({ host: "127.0.0.1", port: srv.port }, () => seen.push("cb"));
    for (const ev of ["connect", "drain", "error", "end", "close"]) s.on(ev, (a: any) => seen.push(ev + (ev === "error" ? ":" + a.code : ev === "close" ? ":" + a : "")));
    assert.equal(seen, []);
    const side = await srv.accept();
    await until(() => seen.includes("connect"), "connect");
    s.write("hello");
    await until(() => seen.filter((e) => e === "drain").length >= 2, "drain after write");
    side.cut();
    await until(() => seen.some((e) => e.startsWith("close")), "close");
    assert.equal(seen.slice(-3), ["error:-9", "end", "close:true"]);
    assert.equal(seen.slice(0, 2), ["cb", "connect"]);
  } finally {
    await srv.stop();
  }
});

bytes("connect() that throws (host does not resolve) becomes one async onClose(NET)", async () => {
  const r = recorder();
  const c = espruinoConnect({ host: "unresolvable.invalid", port: 1883 }, r.handler);
  assert.equal(r.events, []);
  c.write(new Uint8Array([1])); // ignored, no throw
  c.end();
  await until(r.closed, "close");
  await sleep(10);
  assert.equal(r.events, ["close:NET"]);
  assert.match(r.error()!.message, /Unable to locate host/);
});

bytes("destroy(): data still in flight on Espruino is not delivered", async () => {
  const srv = await tcpServer();
  try {
    const r = recorder();
    const c = espruinoTransport().connect({ host: "127.0.0.1", port: srv.port }, r.handler);
    const side = await srv.accept();
    await until(r.opened, "open");
    side.send(new Uint8Array(2000));
    c.destroy();
    await until(r.closed, "close");
    assert.equal(r.events, ["open", "close"]);
  } finally {
    await srv.stop();
  }
});

bytes.run();

// ------------------------------------------------------------------ TLS options
const tlsOpts = suite("espruino transport: TLS options");
tlsOpts("pemToDer takes the first certificate/key block, skipping EC PARAMETERS", () => {
  const body = Buffer.from([0x30, 0x82, 1, 2, 3, 255]).toString("base64");
  const pem = `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`;
  const der = pemToDer(pem)!;
  assert.equal(Array.from(Buffer.from(der, "latin1")), [0x30, 0x82, 1, 2, 3, 255]);
  const ec = `-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n-----BEGIN EC PRIVATE KEY-----\n${body}\n-----END EC PRIVATE KEY-----\n`;
  assert.equal(Array.from(Buffer.from(pemToDer(ec)!, "latin1")), [0x30, 0x82, 1, 2, 3, 255]);
  assert.is(pemToDer(undefined), undefined);
});
tlsOpts.run();

// ------------------------------------------------------------------ Storage
const store = suite("espruino Storage: two slots, checksums, torn writes");
let ss: Standin;
store.before.each(() => {
  ss = installEspruino({ chip: "ESP32" });
});
store.after.each(() => ss.uninstall());

store("records alternate between two files with a sequence number; erase removes both", () => {
  const s = espruinoStorage();
  s.write("wren.s", new Uint8Array([1]));
  s.write("wren.s", new Uint8Array([2, 2]));
  s.write("wren.s", new Uint8Array([3, 3, 3]));
  assert.equal(Object.keys(ss.files).sort(), ["wren.s0", "wren.s1"]);
  assert.equal(Array.from(s.read("wren.s")!), [3, 3, 3]);
  assert.is(ss.storage.writes, 3);
  s.erase("wren.s");
  assert.equal(Object.keys(ss.files), []);
  assert.is(s.read("wren.s"), undefined);
});

store("an empty record is stored (Espruino refuses zero-length files: the header keeps it non-empty)", () => {
  const s = espruinoStorage();
  s.write("e", new Uint8Array(0));
  assert.equal(Array.from(s.read("e")!), []);
});

store("a reset in the middle of a write (torn file) leaves the previous record readable", () => {
  const s = espruinoStorage();
  s.write("sess", new Uint8Array([1, 2, 3]));
  s.write("sess", new Uint8Array([4, 5, 6, 7]));
  for (const keep of [0, 1, 3, 5, 6, 7]) {
    ss.storage.crash = keep;
    assert.throws(() => s.write("sess", new Uint8Array([9, 9, 9, 9, 9])), /power lost/);
    assert.equal(Array.from(s.read("sess")!), [4, 5, 6, 7], "torn after " + keep + " bytes");
  }
  // and the next write succeeds over the torn slot
  s.write("sess", new Uint8Array([8]));
  assert.equal(Array.from(s.read("sess")!), [8]);
});

store("sequence numbers wrap at 256 and the newest still wins", () => {
  const s = espruinoStorage();
  for (let i = 0; i < 600; i++) {
    s.write("w", new Uint8Array([i & 255, i >> 8]));
    const r = s.read("w")!;
    assert.is(r[0] | (r[1] << 8), i);
  }
});

store("a corrupted copy is ignored", () => {
  const s = espruinoStorage();
  s.write("c", new Uint8Array([1]));
  s.write("c", new Uint8Array([2]));
  // flip a payload byte of the newer copy (slot 1)
  const f = ss.files["c1"];
  ss.files["c1"] = f.substr(0, 1) + String.fromCharCode(f.charCodeAt(1) ^ 0x40) + f.substr(2);
  assert.equal(Array.from(s.read("c")!), [1]);
});
store.run();

// ------------------------------------------------------------------ power, id
const pw = suite("espruino power and client id");
pw("ESP32: deepSleep(ms) -> ESP32.deepSleep(us), clamped to [1 ms, 2^31-1 us]; wake cause", () => {
  const st = installEspruino({ chip: "ESP32", wakeCause: 4, analog: { D35: 0.5 } });
  try {
    const p = espruinoPower({ pin: "D35", divider: 2, vRef: 3.3, vFull: 4.2, vEmpty: 3.3 });
    p.deepSleep(60000);
    p.deepSleep(0);
    p.deepSleep(3600000);
    assert.equal(st.sleeps, [60000000, 1000, 2147483647]);
    assert.is(p.wakeReason(), "deep-sleep");
    st.power.wakeCause = 0;
    assert.is(p.wakeReason(), "power-on");
    // 0.5 x 3.3 V x 2 = 3.3 V = empty
    assert.is(p.battery(), 0);
    st.analog.D35 = 3.75 / 6.6;
    assert.ok(Math.abs(p.battery() - 0.5) < 1e-9);
    st.analog.D35 = 0.9;
    assert.is(p.battery(), 1);
    assert.ok(Number.isNaN(espruinoPower().battery()));
  } finally {
    st.uninstall();
  }
});
pw("ESP8266: deepSleep(us, 0) and reset reasons", () => {
  const st = installEspruino({ chip: "ESP8266", resetReason: "deep sleep" });
  try {
    const p = espruinoPower();
    p.deepSleep(1500);
    assert.equal(st.sleeps, [1500000]);
    assert.is(st.sleepOption, 0);
    const want: Record<string, string> = { "deep sleep": "deep-sleep", "power on": "power-on", "reset pin": "reset", "wdt reset": "reset", "": "unknown" };
    for (const [r, w] of Object.entries(want)) {
      st.power.resetReason = r;
      assert.is(p.wakeReason(), w, r);
    }
    // No TLS in Espruino's ESP8266 builds.
    assert.throws(() => st.globals.require("tls"), /Module tls not found/);
  } finally {
    st.uninstall();
  }
});
pw("client id: 'wren' + serial digits, [0-9a-zA-Z] only, at most 23 characters", () => {
  const st = installEspruino({ serial: "30aea4-0c1234-ffee-9988-7766" });
  try {
    const id = espruinoClientId();
    assert.is(id, "wren30aea40c1234ffee998");
    assert.ok(id.length <= 23 && /^[0-9a-zA-Z]+$/.test(id));
  } finally {
    st.uninstall();
  }
});
pw.run();

// ------------------------------------------------------------------ clock
const clk = suite("espruino clock");
clk("never goes backwards when the wall clock is set back; timers fire; clearTimer is safe", async () => {
  const c = espruinoClock();
  const realNow = Date.now;
  let t = 1_000_000;
  Date.now = () => t;
  try {
    assert.is(c.now(), 1_000_000);
    t += 500;
    assert.is(c.now(), 1_000_500);
    t -= 100_000; // setTime() to an earlier time
    assert.is(c.now(), 1_000_500);
    t += 250;
    assert.is(c.now(), 1_000_750);
  } finally {
    Date.now = realNow;
  }
  let fired = 0;
  const h = c.setTimer(() => fired++, 1);
  await sleep(10);
  assert.is(fired, 1);
  c.clearTimer(h); // already fired: no throw
  c.clearTimer(undefined); // must not clear every timer
});
clk("clearTimer never calls clearTimeout(undefined) and swallows 'Unknown Timeout' (Espruino semantics)", () => {
  const g = globalThis as any;
  const real = g.clearTimeout;
  const calls: unknown[] = [];
  g.clearTimeout = (id: unknown) => {
    calls.push(id);
    if (id === 99) throw new Error("Unknown Timeout");
  };
  try {
    const c = espruinoClock();
    c.clearTimer(undefined);
    c.clearTimer(0);
    c.clearTimer(99);
    assert.equal(calls, [99]);
  } finally {
    g.clearTimeout = real;
  }
});
clk.run();

// ------------------------------------------------------------------ WiFi link
const wifi = suite("espruino WiFi link");
wifi("no TCP dialing while WiFi is down, no redial storm; exactly one dial when it comes up", async () => {
  const vc = virtualClock(0);
  const st = installEspruino({ chip: "ESP32", clock: vc });
  const srv = await tcpServer();
  try {
    st.wifi.available = false;
    const link = espruinoLink({ ssid: "lab", password: "pw" }, vc);
    const client = createClient(
      { host: "127.0.0.1", port: srv.port, clientId: "wren-link", keepalive: 0, reconnect: { min: 1000, max: 1000, jitter: 0 } },
      { transport: espruinoTransport(), clock: vc, link },
    );
    client.on("error", () => {});
    client.connect();
    // Ten minutes of WiFi down: the firmware fails an attempt every 3 s.
    for (let i = 0; i < 600; i++) vc.advance(1000);
    assert.is(st.net.sockets.length, 0, "no TCP dial while down");
    assert.not.ok(link.isUp());
    // Wifi.connect: at 0, then after 5, 10, 20, 40, 80, 160, 300 s delays -> 0,5,15,35,75,155,315 s (the next at 615 s).
    assert.is(st.wifi.connects, 7);
    st.wifi.setAvailable(true);
    vc.advance(3000); // the firmware's next attempt succeeds
    assert.ok(link.isUp());
    assert.is(st.net.sockets.length, 1, "one dial when up");
    const side = await srv.accept();
    // The stand-in's idle loop runs on the virtual clock: pump it while real TCP works.
    await until(() => (vc.advance(0), side.received().length > 0), "CONNECT bytes");
    assert.is(side.received()[0], 0x10, "a CONNECT");
    // up stays up: no more Wifi.connect calls
    const n = st.wifi.connects;
    vc.advance(600000);
    assert.is(st.wifi.connects, n);
    client.end(true);
  } finally {
    await srv.stop();
    st.uninstall();
  }
});
wifi("bad password: retried with backoff, listener never told 'up'", () => {
  const vc = virtualClock(0);
  const st = installEspruino({ chip: "ESP32", clock: vc });
  try {
    st.wifi.password = "right";
    const link = espruinoLink({ ssid: "lab", password: "wrong", minDelay: 1000, maxDelay: 4000 }, vc);
    const changes: boolean[] = [];
    link.onChange((u) => changes.push(u));
    vc.advance(20000);
    // dials at 0, 1, 3, 7, 11, 15, 19 s
    assert.is(st.wifi.connects, 7);
    assert.equal(changes, []);
  } finally {
    st.uninstall();
  }
});
wifi("already connected at start: up once, no redial; drop -> down once; back -> up once", () => {
  const vc = virtualClock(0);
  const st = installEspruino({ chip: "ESP32", clock: vc });
  try {
    const link = espruinoLink({ ssid: "lab" }, vc);
    const changes: boolean[] = [];
    link.onChange((u) => changes.push(u));
    vc.advance(100);
    assert.equal(changes, [true]);
    st.wifi.setAvailable(false);
    vc.advance(10000); // several failed firmware attempts
    st.wifi.setAvailable(true);
    vc.advance(10000);
    assert.equal(changes, [true, false, true]);
    assert.ok(st.wifi.connects <= 2, "connects " + st.wifi.connects);
  } finally {
    st.uninstall();
  }
});
wifi.run();

// ------------------------------------------------------------------ Duktape
const duk = suite("espruino stand-in in Duktape");
function hasDuk(): boolean {
  const r = spawnSync("duk", ["-e", "print(1)"], { encoding: "utf8" });
  return !r.error && r.status === 0;
}
function runDuk(src: string): { status: number | null; out: string; err: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wren-standin-"));
  try {
    fs.writeFileSync(path.join(dir, "t.js"), src);
    const r = spawnSync("duk", [path.join(dir, "t.js")], { encoding: "utf8", timeout: 20000 });
    return { status: r.status, out: r.stdout, err: r.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
duk("scripted peer: connect, 536-byte chunks, binary strings, error->end->close, Espruino timers", () => {
  if (!hasDuk()) {
    if (process.env.CI === "true") assert.unreachable("duk (Duktape) is not installed (CI=true)");
    console.warn("  duk not installed: Duktape stand-in test NOT run");
    return;
  }
  const script =
    ESPRUINO_STANDIN_DUK +
    `
var log = [];
__standin.net.control.onConnect = function (peer) {
  peer.onData = function (s) {
    log.push("peer got " + s.length + " first=" + s.charCodeAt(0) + " last=" + s.charCodeAt(s.length - 1));
    var big = ""; for (var i = 0; i < 1200; i++) big += String.fromCharCode(i & 255);
    peer.send(big);
    peer.reset();
  };
};
var sizes = [];
var s = require("net").connect({ host: "broker", port: 1883 }, function () { log.push("connected"); });
s.on("data", function (d) { sizes.push(d.length); });
s.on("error", function (e) { log.push("error " + e.code + " " + e.message); });
s.on("end", function () { log.push("end"); });
s.on("close", function (h) { log.push("close " + h); });
log.push("after connect");
var u = new Uint8Array(256); for (var i = 0; i < 256; i++) u[i] = i;
s.write(E.toString(u));
__standin.run(0);
print(log.join("|"));
print("sizes " + sizes.join(","));
var rt = E.toUint8Array(E.toString(u)); var ok = rt.length == 256; for (i = 0; i < 256; i++) if (rt[i] != i) ok = false;
print("roundtrip " + ok);
var fired = [];
var t1 = setTimeout(function () { fired.push("t1@" + Date.now()); }, 50);
setTimeout(function () { fired.push("t2@" + Date.now()); }, 20);
__standin.run(100);
print("fired " + fired.join(","));
var threw = "no"; try { clearTimeout(t1); } catch (e) { threw = e.message; }
print("clear fired timer: " + threw);
setTimeout(function () {}, 10); setTimeout(function () {}, 20); clearTimeout();
print("pending after clearTimeout(): " + __standin.pendingTimers());
print("violations " + __standin.violations.length);
`;
  const r = runDuk(script);
  assert.is(r.err, "");
  assert.is(r.status, 0);
  assert.is(
    r.out.trim(),
    [
      "after connect|connected|peer got 256 first=0 last=255|error -9 connection reset|end|close true",
      "sizes 536,536,128",
      "roundtrip true",
      "fired t2@20,t1@50",
      "clear fired timer: Unknown Timeout",
      "pending after clearTimeout(): 0",
      "violations 0",
    ].join("\n"),
  );
});
// The full board bundles ship this HAL (Uint8Array data over the firmware's
// binary-string sockets); the core and tiny ones have none: their clients (src/core,
// src/tiny) take the firmware's own functions (net/tls connect, Date.now,
// setTimeout...) and keep binary strings end to end.
duk("the HAL, bundled to ES5 like a full board build, runs in Duktape over the stand-in; the core and tiny bundles carry none of it", async () => {
  if (!hasDuk()) {
    if (process.env.CI === "true") assert.unreachable("duk (Duktape) is not installed (CI=true)");
    console.warn("  duk not installed: Duktape HAL test NOT run");
    return;
  }
  const { bundleEspruino, profileDefines } = await import("../scripts/lib/bundle");
  const entry = `
import { espruinoTransport } from "./src/hal/espruino/transport";
import { espruinoClock } from "./src/hal/espruino/clock";
import { espruinoStorage } from "./src/hal/espruino/storage";
exports.t = espruinoTransport; exports.c = espruinoClock; exports.s = espruinoStorage;
`;
  const driver = `
var log = [];
__standin.net.control.onConnect = function (peer) {
  peer.onData = function (s) { log.push("peer got " + s.length); peer.send(s + s); peer.close(); };
};
var hex = function (u) { var r = []; for (var i = 0; i < u.length; i++) r.push(u[i]); return r.join("."); };
var clock = exports.c();
var keep = setTimeout(function () { log.push("other timer kept"); }, 500);
clock.clearTimer(undefined);
var h = clock.setTimer(function () { log.push("timer@" + clock.now()); }, 100);
var conn = exports.t().connect({ host: "broker", port: 1883 }, {
  onOpen: function () { log.push("open"); var b = new Uint8Array([0, 255, 128, 7]); conn.write(b); b[0] = 99; },
  onData: function (d) { log.push("data " + (d instanceof Uint8Array) + " " + hex(d)); },
  onClose: function (e) { log.push("close " + (e ? e.code : "-")); }
});
log.push("returned");
__standin.run(1000);
clock.clearTimer(h);
var st = exports.s();
var rec = new Uint8Array(300); for (var i = 0; i < 300; i++) rec[i] = i & 255;
st.write("wren.s", rec); st.write("wren.s", rec.subarray(0, 3));
log.push("storage " + hex(st.read("wren.s")) + " missing=" + st.read("nope"));
print(log.join("|"));
print("violations " + __standin.violations.length);
`;
  const b = await bundleEspruino({ stdin: { contents: entry, resolveDir: process.cwd() }, defines: profileDefines("full") });
  const r = runDuk(dukBundleScript(b.code, driver));
  assert.is(r.err, "");
  assert.is(
    r.out.trim(),
    "returned|open|peer got 4|data true 0.255.128.7.0.255.128.7|close -|timer@100|other timer kept|storage 0.1.2 missing=undefined\nviolations 0",
  );
  const { buildBoardBundle } = await import("../scripts/lib/bundle");
  const { loadBoard } = await import("../scripts/lib/boards");
  for (const board of ["esp32", "esp8266"]) {
    for (const profile of ["tiny", "core"] as const) {
      const code = (await buildBoardBundle(loadBoard(board), profile)).code;
      assert.not.match(code, /Uint8Array|E\.to(String|Uint8Array)|Storage|getTime|Wifi/, `${board}-${profile}`);
      // the firmware's sockets only: no Storage, Wifi, ESP32/ESP8266 module
      // (the module names in every require call, also in `require(o.tls ? "tls" : "net")`)
      const mods = Array.from(code.matchAll(/require\(([^)]*)\)/g)).flatMap((m) => m[1].match(/"\w+"/g) || ["?" + m[1]]);
      assert.equal(mods.filter((n) => n != '"tls"'), ['"net"'], `${board}-${profile}`);
    }
  }
});
duk.run();
void test;
