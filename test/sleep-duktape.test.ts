/**
 * Deep sleep in the real esp32 full bundle, run in Duktape over the Espruino
 * stand-in: boot 1 publishes a QoS 1 reading the broker never acknowledges,
 * `client.sleep()` saves the session to Storage and calls ESP32.deepSleep;
 * boot 2 (a fresh evaluation of the bundle, wake cause "timer") is resumed
 * by the entry's `connect()` (clean = false) and resends the reading with DUP
 * and the same packet id. Exact bytes on the wire.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { dukBundleScript } from "./support/duk-bundle";
import { hasDuk, runDuk } from "../scripts/lib/duk";
import { buildBoardBundle } from "../scripts/lib/bundle";
import { loadBoard } from "../scripts/lib/boards";


// The scripted broker: CONNACK (session present), PUBACK only once `acking`.
const DRIVER = `
var log = [], acking = false, hex = function (s) { var r = ""; for (var i = 0; i < s.length; i++) r += (s.charCodeAt(i) < 16 ? "0" : "") + s.charCodeAt(i).toString(16); return r; };
__standin.net.control.onConnect = function (peer) {
  peer.onData = function (s) {
    log.push("wire " + hex(s));
    var t = s.charCodeAt(0) >> 4;
    if (t == 1) peer.send("\\x20\\x02\\x01\\x00");
    if (t == 3 && acking) peer.send("\\x40\\x02" + s.substr(s.charCodeAt(3) + 4, 2));
    if (t == 14) peer.close();
  };
};
var opts = { host: "broker", port: 1883, clientId: "dk", clean: false, keepalive: 30 };
var m = boot().connect(opts);
m.on("connect", function () {
  log.push("connect");
  m.publish("t", "21.5", { qos: 1 }, function (err) { log.push("published " + (err ? err.code : "ok")); });
  m.sleep(60000, function (err) { log.push("saved " + (err ? err.code : "ok")); }, { wait: 50 });
});
__standin.run(1000);
log.push("deepSleep " + __standin.sleeps.join());
// boot 2: woken by the RTC timer
__standin.power.wakeCause = WAKE;
acking = true;
var m2 = boot().connect(opts);
m2.on("connect", function () { log.push("connect 2"); });
__standin.run(1000);
m2.end();
__standin.run(100);
print(log.join("\\n"));
print("violations " + __standin.violations.length);
`;

async function boots(wake: number): Promise<string[]> {
  if (!hasDuk()) {
    if (process.env.CI === "true") assert.unreachable("duk (Duktape) is not installed (CI=true)");
    throw new Error("duk (Duktape) is not installed: apt-get install duktape");
  }
  const b = await buildBoardBundle(loadBoard("esp32"), "full");
  // a full battery (D35 through the 1:2 divider: 0.65 x 3.3 V x 2 = 4.29 V): the configured keepalive applies
  const before = "var WAKE = " + wake + ";\nvar __standinOptions = { analog: { D35: 0.65 } };\n";
  const script = dukBundleScript(b.code, DRIVER, { before, boot: true });
  const r = runDuk(script);
  assert.is(r.stderr || "", "");
  return r.stdout.trim().split("\n");
}

// CONNECT 3.1.1, clean = false (flags 00), keepalive 30, client id "dk"
const connect = "wire 100e00044d51545404" + "00" + "001e0002646b";

test("esp32-full in Duktape: sleep saves the unacknowledged reading, the next boot resends it with DUP", async () => {
  assert.equal(await boots(4), [
    connect,
    "connect",
    // PUBLISH QoS 1 "t" "21.5", packet id 1: never acknowledged
    "wire 320900017400013231" + "2e35",
    // after the 50 ms wait: saved, DISCONNECT, then deep sleep (us)
    "saved ok",
    "wire e000",
    "deepSleep 60000000",
    connect,
    "connect 2",
    // the same PUBLISH again, with DUP [MQTT-3.3.1-1], same id [MQTT-4.4.0-1]
    "wire 3a0900017400013231" + "2e35",
    "wire e000",
    "violations 0",
  ]);
});

test("esp32-full in Duktape: after a power-on (not a wake) the entry does not resume the saved session", async () => {
  const out = await boots(0);
  assert.equal(out.slice(6), [connect, "connect 2", "wire e000", "violations 0"]);
});

// Espruino's Linux build has no ESP32 or ESP8266 module: no deep sleep and no wake reason to ask.
const LINUX_DRIVER = `
var log = [], hex = function (s) { var r = ""; for (var i = 0; i < s.length; i++) r += (s.charCodeAt(i) < 16 ? "0" : "") + s.charCodeAt(i).toString(16); return r; };
__standin.net.control.onConnect = function (peer) {
  peer.onData = function (s) {
    log.push("wire " + hex(s));
    var t = s.charCodeAt(0) >> 4;
    if (t == 1) peer.send("\\x20\\x02\\x01\\x00");
    if (t == 14) peer.close();
  };
};
try {
  var m = boot().connect({ host: "broker", port: 1883, clientId: "dk", clean: false, keepalive: 30 });
  m.on("connect", function () {
    log.push("connect");
    m.publish("t", "21.5", { qos: 1 });
    m.sleep(60000, function (err) { log.push("saved " + (err ? err.code : "ok")); }, { wait: 50 });
  });
  __standin.run(1000);
} catch (e) {
  log.push("threw " + e);
}
log.push("deepSleep [" + __standin.sleeps.join() + "]");
print(log.join("\\n"));
`;

test("linux-full in Duktape (no ESP32/ESP8266 module): clean = false connects, and sleep() saves the session and disconnects without a deep sleep", async () => {
  if (!hasDuk()) {
    if (process.env.CI === "true") assert.unreachable("duk (Duktape) is not installed (CI=true)");
    throw new Error("duk (Duktape) is not installed: apt-get install duktape");
  }
  const b = await buildBoardBundle(loadBoard("linux"), "full");
  const r = runDuk(dukBundleScript(b.code, LINUX_DRIVER, { before: 'var __standinOptions = { chip: "LINUX" };\n', boot: true }));
  assert.is(r.stderr || "", "");
  assert.equal(r.stdout.trim().split("\n"), [
    connect,
    "connect",
    "wire 320900017400013231" + "2e35",
    "saved ok",
    "wire e000",
    "deepSleep []",
  ]);
});

test.run();
