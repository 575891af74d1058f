/**
 * The real board bundles (esp32 tiny/core/full, esp8266 tiny/core), run in
 * Duktape, a strict ES5 engine with no Node APIs, over the Espruino stand-in:
 * binary-string sockets, Espruino timers, every object with on/emit. A
 * scripted broker answers in the socket's idle loop. Asserts the exact bytes
 * the bundle wrote and the events the application saw.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { dukBundleScript } from "./support/duk-bundle";
import { hasDuk, runDuk } from "../scripts/lib/duk";
import { buildBoardBundle } from "../scripts/lib/bundle";
import { loadBoard } from "../scripts/lib/boards";


/**
 * Build a board bundle and run it in Duktape over the stand-in (`before`: ahead
 * of the stand-in, e.g. its options; `between`: after the object events, before
 * the bundle), then `driver`; stdout lines. Fails (never skips) without duk.
 */
async function runBundle(boardId: string, profile: "tiny" | "core" | "full", driver: string, before = "", between = ""): Promise<string[]> {
  if (!hasDuk()) {
    if (process.env.CI === "true") assert.unreachable("duk (Duktape) is not installed (CI=true)");
    throw new Error("duk (Duktape) is not installed: apt-get install duktape");
  }
  const b = await buildBoardBundle(loadBoard(boardId), profile);
  const r = runDuk(dukBundleScript(b.code, driver, { before, between }));
  assert.is(r.stderr || "", "");
  return r.stdout.trim().split("\n");
}

const FULL_BATTERY = "var __standinOptions = { analog: { D35: 0.65 } };\n";

const LOG_HEX = `var log = [], hex = function (s) { var r = ""; for (var i = 0; i < s.length; i++) r += (s.charCodeAt(i) < 16 ? "0" : "") + s.charCodeAt(i).toString(16); return r; };`;

/**
 * A session driver: a scripted broker logs every packet `s` the bundle writes
 * as "wire <hex>", answers CONNECT with CONNACK, then `broker` (its packet
 * type is `t`), and closes on DISCONNECT; the client `m` (client id "dk",
 * keepalive 30) runs `connected` on its connect event (`ack`) and `message`
 * on each message event (`topic`, `payload`, `p`); then `m.end()`; the log and
 * the count of the stand-in's violations are printed.
 */
function session(broker: string, connected: string, message: string): string {
  return `${LOG_HEX}
__standin.net.control.onConnect = function (peer) {
  peer.onData = function (s) {
    log.push("wire " + hex(s));
    var t = s.charCodeAt(0) >> 4;
    if (t == 1) peer.send("\\x20\\x02\\x00\\x00");
    ${broker}
    if (t == 14) peer.close();
  };
};
var m = exports.connect({ host: "broker", port: 1883, clientId: "dk", keepalive: 30 });
m.on("connect", function (ack) {
  ${connected}
});
m.on("message", function (topic, payload, p) {
  ${message}
});
__standin.run(100);
m.end();
__standin.run(100);
print(log.join("\\n"));
print("violations " + __standin.violations.length);
`;
}

/** The scripted broker's PUBACK to a QoS 1 PUBLISH (its packet id follows the topic). */
const PUBACK_QOS1 = `if (t == 3 && (s.charCodeAt(0) & 6)) peer.send("\\x40\\x02" + s.substr(s.charCodeAt(3) + 4, 2));`;

const SESSIONS: {
  boards: string[];
  profile: "tiny" | "core" | "full";
  what: string;
  before?: string;
  broker: string;
  connected: string;
  message: string;
  /** the output between the CONNECT ("wire 100e...") and the DISCONNECT ("wire e000", "violations 0") */
  want: string[];
}[] = [
  // The full profile runs the class client (src/client): payloads arrive as Uint8Array.
  // The scripted broker: CONNACK, SUBACK, PUBACK; after SUBACK it sends one PUBLISH "cmd" = "on".
  {
    boards: ["esp32"],
    profile: "full",
    what: "connect, subscribe, receive a Uint8Array payload, publish, end",
    // a full battery (D35 through the 1:2 divider: 0.65 x 3.3 V x 2 = 4.29 V): the configured keepalive applies
    before: FULL_BATTERY,
    broker: `if (t == 8) { peer.send("\\x90\\x03" + s.substr(2, 2) + "\\x00"); peer.send("\\x30\\x07\\x00\\x03cmdon"); }
    ${PUBACK_QOS1}`,
    connected: `log.push("connect");
    m.subscribe("cmd", { qos: 0 });`,
    message: `log.push("message " + topic + " " + E.toString(payload) + " " + (payload instanceof Uint8Array));
    m.publish("t/\\u00e9", "21.5", { qos: 1 }, function (err) { log.push("published " + (err ? err.code : "ok")); });`,
    want: [
      "connect",
      "wire 82080001000363" + "6d6400",
      "message cmd on true",
      // PUBLISH QoS 1 "t/é" (UTF-8 c3 a9: 4 topic bytes) "21.5", packet id 2 (SUBSCRIBE had 1); done on PUBACK
      "wire 320c0004" + "742fc3a9" + "0002" + "32312e35",
      "published ok",
    ],
  },
  // The core profile runs its own client (src/core): payloads are binary strings both
  // ways (bytes as they are, never UTF-8 encoded or decoded), topics and filters UTF-8.
  // The scripted broker: CONNACK, SUBACK granting QoS 1, PUBACK; after SUBACK it sends
  // PUBLISH QoS 1 id 7 "cmd" with the payload bytes 00 ff 6f 6e.
  {
    boards: ["esp32", "esp8266"],
    profile: "core",
    what: "connect, subscribe, receive bytes as a binary string, publish bytes, end",
    broker: `if (t == 8) { peer.send("\\x90\\x03" + s.substr(2, 2) + "\\x01"); peer.send("\\x32\\x0b\\x00\\x03cmd\\x00\\x07\\x00\\xffon"); }
    ${PUBACK_QOS1}`,
    connected: `log.push("connect " + JSON.stringify(ack));
    m.subscribe("cmd", { qos: 1 }, function (err, granted) { log.push("subscribed " + (err ? err.code : "ok") + " " + granted.join()); });`,
    message: `log.push("message " + topic + " " + typeof payload + " " + hex(payload) + " " + (p.payload === payload) + " " + JSON.stringify([p.topic, p.qos, p.retain, p.dup, p.messageId]));
    // "t/é": the topic goes as UTF-8; the payload's chars go as the bytes 32 31 2e 35 e9 ff 00
    m.publish("t/\\u00e9", "21.5\\u00e9\\xff\\x00", { qos: 1 }, function (err) { log.push("published " + (err ? err.code : "ok")); });`,
    want: [
      'connect {"sessionPresent":false}',
      // SUBSCRIBE id 1, "cmd" QoS 1
      "wire 82080001000363" + "6d6401",
      "subscribed ok 1",
      // the payload bytes 00 ff 6f 6e, one char each, also in the packet argument;
      // then its PUBACK (written before the event, read by the peer on the next idle turn)
      'message cmd string 00ff6f6e true ["cmd",1,false,false,7]',
      "wire 40020007",
      // PUBLISH QoS 1 "t/é" (UTF-8 c3 a9: 4 topic bytes), packet id 2, payload 32 31 2e 35 e9 ff 00 (7 bytes, not UTF-8)
      "wire 320f0004" + "742fc3a9" + "0002" + "32312e35e9ff00",
      "published ok",
    ],
  },
  // The tiny profile has its own API: payloads are binary strings both ways,
  // topics and filters ASCII (a topic that is not is refused, never written),
  // QoS 0 only. The scripted broker sends PUBLISH "cmd" with the bytes 00 ff 6f 6e.
  {
    boards: ["esp32", "esp8266"],
    profile: "tiny",
    what: "connect, subscribe, receive bytes, a non-ASCII topic refused, publish bytes, end",
    broker: `if (t == 8) { peer.send("\\x90\\x03" + s.substr(2, 2) + "\\x00"); peer.send("\\x30\\x09\\x00\\x03cmd\\x00\\xffon"); }`,
    connected: `log.push("connect");
    m.subscribe("cmd");`,
    message: `log.push("message " + topic + " " + hex(payload) + " " + typeof payload);
    var writes = __standin.net.writes.length;
    m.publish("t/\\u00e9", "21.5", function (err) { log.push("published " + (err ? err.code : "ok") + ", writes +" + (__standin.net.writes.length - writes)); });
    m.publish("t/e", "21.5\\xff\\x00", function (err) { log.push("published " + (err ? err.code : "ok") + ", writes +" + (__standin.net.writes.length - writes)); });`,
    want: [
      "connect",
      // SUBSCRIBE id 1, "cmd" QoS 0
      "wire 82080001000363" + "6d6400",
      "message cmd 00ff6f6e string",
      // "t/\u00e9" is not ASCII: BAD_TOPIC through the callback, nothing written
      "published BAD_TOPIC, writes +0",
      // PUBLISH QoS 0 "t/e", payload bytes 32 31 2e 35 ff 00: done once written
      "published ok, writes +1",
      "wire 300b0003742f65" + "32312e35ff00",
    ],
  },
];

for (const k of SESSIONS) {
  for (const boardId of k.boards) {
    test(`${boardId}-${k.profile} bundle in Duktape: ${k.what}`, async () => {
      const out = await runBundle(boardId, k.profile, session(k.broker, k.connected, k.message), k.before);
      assert.equal(out, [
        // CONNECT 3.1.1, clean, keepalive 30, client id "dk"
        "wire 100e00044d5154540402001e0002646b",
        ...k.want,
        "wire e000",
        "violations 0",
      ]);
    });
  }
}

// The full profile ships the battery-aware keepalive: the battery read at boot picks the band.
const KEEPALIVE_DRIVER = `
${LOG_HEX}
__standin.net.control.onConnect = function (peer) {
  peer.onData = function (s) {
    var t = s.charCodeAt(0) >> 4;
    log.push(Math.round(Date.now() / 1000) + "s " + hex(s.substr(0, t == 1 ? 12 : 2)));
    if (t == 1) peer.send("\\x20\\x02\\x00\\x00");
    if (t == 12) peer.send("\\xd0\\x00");
  };
};
var m = exports.connect({ host: "broker", port: 1883, clientId: "dk", keepalive: 60 });
// a QoS 0-only sensor: a reading every 30 s, nothing ever comes back but PINGRESP
setInterval(function () { m.publish("t", "1"); }, 30000);
__standin.run(250000);
print(log.join("\\n"));
`;

for (const [volts, band, keepalive] of [
  [0.65, "full battery: keepalive 60 s as configured", "003c"],
  [0.53, "battery at 22 %: keepalive x4 (240 s)", "00f0"],
] as const) {
  test(`esp32-full bundle in Duktape: ${band}; a QoS 0 sensor pings once per liveness interval, sends postpone nothing`, async () => {
    const lines = await runBundle("esp32", "full", KEEPALIVE_DRIVER, `var __standinOptions = { analog: { D35: ${volts} } };\n`);
    // CONNECT: 10 0e | 0004 MQTT | 04 | 02 | keepalive
    assert.is(lines[0], "0s 100e00044d5154540402" + keepalive);
    // with nothing received, the sensor pings at each liveness interval (= the keepalive) although it keeps sending
    const pings = lines.filter((l) => l.endsWith(" c000")).map((l) => l.split(" ")[0]);
    assert.equal(pings, keepalive == "003c" ? ["60s", "120s", "180s", "240s"] : ["240s"]);
  });
}

// Espruino's Function.apply takes at most 64 arguments (the stand-in enforces it): a
// long topic or string property must still decode and encode (topics of 100+ chars are common).
const LONG_TOPIC_DRIVER = `
var log = [], D = "devices/" + new Array(31).join("0123456789").substr(0, 246), T = D + "/\\u00e9t\\u00e9";
__standin.net.control.onConnect = function (peer) {
  peer.onData = function (s) {
    var t = s.charCodeAt(0) >> 4;
    if (t == 1) peer.send("\\x20\\x02\\x00\\x00");
    // PUBLISH QoS 0 (remaining length 263): topic as UTF-8 (260 bytes: "é" is c3 a9), payload "x"
    if (t == 8) peer.send("\\x30\\x87\\x02\\x01\\x04" + D + "/\\xc3\\xa9t\\xc3\\xa9" + "x");
    // the same topic published back: the same 260 bytes
    if (t == 3) log.push("wire " + s.length + " " + (s == "\\x30\\x87\\x02\\x01\\x04" + D + "/\\xc3\\xa9t\\xc3\\xa9" + "y"));
  };
};
var m = exports.connect({ host: "broker", port: 1883, clientId: "dk" });
m.on("connect", function () { m.subscribe("devices/#"); });
m.on("message", function (topic) { log.push("message " + topic.length + " " + (topic == T)); m.publish(T, "y"); });
m.on("error", function (e) { log.push("error " + e.message); });
__standin.run(1000);
print(log.join("\\n"));
`;

for (const profile of ["core", "full"] as const) {
  test(`esp32-${profile} bundle in Duktape: a 258-char topic decodes and encodes (no Function.apply over 64 arguments)`, async () => {
    assert.equal(await runBundle("esp32", profile, LONG_TOPIC_DRIVER, FULL_BATTERY), ["message 258 true", "wire 266 true"]);
  });
}

// The board's own defaults: port 1883, queue and in-flight bounds sized to its RAM
// (esp8266: queue 4 messages / 512 B, 2 in flight, boards/esp8266.json), no TLS module.
const BOARD_DEFAULTS_DRIVER = `
var log = [];
try { exports.connect({ host: "broker", tls: true }); log.push("tls dialed"); } catch (e) { log.push("tls " + e.code + " sockets " + __standin.net.sockets.length); }
__standin.net.control.onConnect = function (peer) {
  peer.onData = function (s) {
    var t = s.charCodeAt(0) >> 4;
    if (t == 1) peer.send("\\x20\\x02\\x00\\x00");
    if (t == 3) log.push("publish id " + s.charCodeAt(s.charCodeAt(3) + 5));
  };
};
var m = exports.connect({ host: "broker", clientId: "dk" });
log.push("port " + __standin.net.sockets[0].options.port);
// before CONNACK: queued; the 5th drops the oldest (queue limit 4)
for (var i = 1; i <= 5; i++) m.publish("t", "" + i, { qos: 1 }, (function (i) { return function (e) { log.push("cb " + i + " " + (e ? e.code : "ok")); }; })(i));
__standin.run(100);
print(log.join("\\n"));
`;

test("esp8266-core bundle in Duktape: board defaults (port 1883, queue of 4, 2 in flight), tls refused with NO_TLS", async () => {
  // queued 2..5 go in order once connected, but only 2 in flight (nothing acks them here)
  assert.equal(await runBundle("esp8266", "core", BOARD_DEFAULTS_DRIVER), ["tls NO_TLS sockets 0", "port 1883", "cb 1 QUEUE_DROPPED", "publish id 1", "publish id 2"]);
});

test.run();
