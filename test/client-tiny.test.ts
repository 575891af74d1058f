/**
 * The tiny profile's own code path (WREN_CORE=false): built with esbuild the
 * way the bundles are, then driven on the virtual clock like the core client.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { bytes, take, vhal, CONNACK } from "./support/virtual";

const root = new URL("..", import.meta.url).pathname;
const defs = { WREN_CORE: "false", WREN_V5: "false", WREN_PERSIST: "false" };
// two passes, like the bundles: the first folds the feature flags, the second drops what only dead branches used
const one = await build({
  stdin: { contents: 'export { Client } from "./src/client/client"; export { installEmitter } from "./src/client/emitter";', resolveDir: root, loader: "ts" },
  bundle: true,
  write: false,
  format: "esm",
  platform: "neutral",
  minifySyntax: true,
  define: defs,
});
const two = await build({
  stdin: { contents: one.outputFiles[0].text, resolveDir: root, loader: "js" },
  bundle: true,
  write: false,
  format: "esm",
  platform: "neutral",
  minifySyntax: true,
  treeShaking: true,
});
const code = two.outputFiles[0].text;
const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "wren-tiny-")), "tiny.mjs");
fs.writeFileSync(file, code);
const mod = await import(pathToFileURL(file).href);
mod.installEmitter(mod.Client.prototype);
const Tiny = mod.Client;

test("tiny: the core-only parts are not in the tiny build", () => {
  for (const s of ['"QUEUE_DROPPED"', '"BAD_TOPIC"', '"ACK_TIMEOUT"', '"identifier rejected"', '"drop-oldest"', "._kp", "._in2"])
    assert.not.ok(code.includes(s), s);
  assert.ok(code.includes('"PING_TIMEOUT"'));
});

function tiny(opts: any = {}) {
  const hal = vhal(0);
  const c = new Tiny(Object.assign({ clientId: "c" }, opts), hal);
  const events: string[] = [];
  ["connect", "close", "offline", "reconnect", "end"].forEach((e) => c.on(e, () => events.push(e)));
  c.on("error", (e: any) => events.push("error:" + e.code));
  const msgs: string[] = [];
  c.on("message", (t: string, p: Uint8Array) => msgs.push(t + "=" + Buffer.from(p)));
  return { hal, c, events, msgs };
}

test("tiny: CONNECT (clean, keepalive), QoS 0 publish, OFFLINE when not connected", () => {
  const { hal, c, events } = tiny({ clean: false, username: "ignored" });
  const log: any[] = [];
  c.publish("t", "x", (e: any) => log.push(e && e.code));
  assert.equal(log, ["OFFLINE"]);
  c.connect();
  hal.c().h.onOpen();
  assert.equal(take(hal.c()), ["100d00044d5154540402003c000163"]);
  hal.c().h.onData(bytes(CONNACK));
  assert.equal(events, ["connect"]);
  c.publish("t", "hi", { qos: 1 }, (e: any) => log.push(e)); // QoS forced to 0 in tiny
  assert.equal(take(hal.c()), ["30050001746869"]);
  assert.equal(log, ["OFFLINE", undefined]);
});

test("tiny: subscribe QoS 0, messages, resubscribe after reconnect, unsubscribe", () => {
  const { hal, c, msgs, events } = tiny({ reconnect: { min: 100, jitter: 0 } });
  c.subscribe("a/+", { qos: 2 }); // offline: sent on connect
  c.connect();
  hal.c().h.onOpen();
  take(hal.c());
  hal.c().h.onData(bytes(CONNACK));
  assert.equal(take(hal.c()), ["820800010003612f2b00"]);
  hal.c().h.onData(bytes("9003000100 30070003612f627879 d000"));
  assert.equal(msgs, ["a/b=xy"]);
  c.subscribe(["x", "y"]);
  assert.equal(take(hal.c()), ["820a00020001780000017900"]);
  hal.c().h.onClose();
  assert.equal(events, ["connect", "close", "offline"]);
  hal.clock.advance(100);
  hal.c().h.onOpen();
  take(hal.c());
  hal.c().h.onData(bytes(CONNACK));
  assert.equal(take(hal.c()), ["821000030003612f2b0000017800000179" + "00"]);
  c.unsubscribe("x");
  assert.equal(take(hal.c()), ["a205000400" + "0178"]);
  assert.equal(Object.keys(c._subs), ["a/+", "y"]);
});

test("tiny: keepalive PINGREQ timing and ping timeout -> reconnect with backoff", () => {
  const { hal, c, events } = tiny({ keepalive: 10, reconnect: { min: 1000, max: 4000, jitter: 0 } });
  c.connect();
  hal.c().h.onOpen();
  hal.c().h.onData(bytes(CONNACK));
  take(hal.c());
  hal.clock.advance(9999);
  assert.equal(take(hal.c()), []);
  hal.clock.advance(1);
  assert.equal(take(hal.c()), ["c000"]);
  hal.c().h.onData(bytes("d000"));
  hal.clock.advance(10000);
  assert.equal(take(hal.c()), ["c000"]);
  hal.clock.advance(9999);
  assert.is(hal.c().destroyed, false);
  hal.clock.advance(1);
  assert.is(hal.c().destroyed, true);
  assert.equal(events, ["connect", "error:PING_TIMEOUT", "close", "offline"]);
  // reconnect gaps 1000, 2000, 4000, 4000 (jitter 0)
  const gaps: number[] = [];
  for (let i = 0; i < 4; i++) {
    const n = hal.conns.length, t = hal.clock.now();
    while (hal.conns.length == n) hal.clock.advance(1);
    gaps.push(hal.clock.now() - t);
    hal.c().h.onClose(new Error("refused"));
  }
  assert.equal(gaps, [1000, 2000, 4000, 4000]);
  assert.is(hal.clock.pending(), 1);
});

test("tiny: CONNACK refused, connect timeout, broker garbage, end() stops it all", () => {
  const { hal, c, events } = tiny({ reconnect: { min: 10, jitter: 0 } });
  c.connect();
  hal.c().h.onOpen();
  hal.c().h.onData(bytes("20020005"));
  assert.equal(events, ["error:CONNACK_REFUSED", "close"]);
  hal.clock.advance(10);
  hal.clock.advance(30000);
  assert.equal(events.slice(2), ["reconnect", "error:CONNECT_TIMEOUT", "close"]);
  hal.clock.advance(20); // second backoff step
  hal.c().h.onOpen();
  hal.c().h.onData(bytes(CONNACK));
  hal.c().h.onData(bytes("40020001")); // PUBACK: not decodable in tiny
  assert.equal(events.slice(5), ["reconnect", "connect", "error:BAD_TYPE", "close", "offline"]);
  c.end();
  hal.clock.advance(1e6);
  assert.is(hal.clock.pending(), 0);
  assert.equal(events.slice(-1), ["end"]);
});

test.run();
