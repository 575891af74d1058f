/**
 * The tiny client (src/tiny) against listeners that throw or end it, hostile
 * byte streams, bad options and brokers that refuse or kick it: each test was
 * written first as the correct behaviour, failed against the first version of
 * the tiny client, and holds since its fix.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tinyRig as rig, FakeSocket, CONNACK, espruinoHost } from "./support/tiny-rig";
import { buildWithEspruinoKeys } from "./support/espruino-keys";
import { installEmitter } from "../src/client/emitter";
import { dukBundleScript } from "./support/duk-bundle";
import { runDuk } from "../scripts/lib/duk";
import { buildBoardBundle } from "../scripts/lib/bundle";
import { loadBoard } from "../scripts/lib/boards";


/** Run `fn`, swallowing the exception a listener throws (Espruino reports it and skips the rest of the callback). */
function uncaught(fn: () => void) {
  try {
    fn();
  } catch (e) {}
}

test("tiny: end() inside a 'reconnect' listener stops the client: the socket just dialled is ended, no connect after end", () => {
  const r = rig({ reconnect: { min: 100 } }, 1);
  r.c.on("reconnect", () => r.c.end());
  r.c.connect();
  r.up();
  r.s().fire("close");
  r.clock.advance(100); // backoff over: dial -> 'reconnect' -> end()
  assert.is(r.socks.length, 2);
  assert.is(r.s().ended, true);
  r.s().onOpen(); // a late open writes nothing
  r.s().data("20020000");
  assert.equal(r.s().take(), []);
  assert.equal(r.events, ["connect", "close", "offline", "reconnect", "close", "end"]);
  assert.is(r.clock.pending(), 0);
});

test("tiny: a 'reconnect' listener that throws on every attempt cannot stop the reconnects: the socket is dialled in the same attempt", () => {
  const r = rig({ reconnect: { min: 100, max: 1000 } }, 1);
  r.c.on("reconnect", () => {
    throw new Error("listener");
  });
  r.c.connect();
  r.up();
  r.s().fire("close");
  assert.throws(() => r.clock.advance(100), /listener/);
  assert.is(r.socks.length, 2, "dialled in the same attempt");
  r.up();
  assert.equal(r.events, ["connect", "close", "offline", "reconnect", "connect"]);
});

test("tiny: a 'reconnect' listener that throws does not wedge the client: it dials (or retries) anyway", () => {
  const r = rig({ reconnect: { min: 100 } }, 1);
  let k = 0;
  r.c.on("reconnect", () => {
    if (k++ == 0) throw new Error("listener bug");
  });
  r.c.connect();
  r.up();
  r.s().fire("close");
  uncaught(() => r.clock.advance(100));
  r.clock.advance(60000);
  assert.ok(r.socks.length >= 2, "dialled again: " + r.socks.length);
  assert.is(r.clock.pending(), 1);
});

for (const ev of ["error", "close", "offline"]) {
  test(`F3 an '${ev}' listener that throws during a drop does not wedge the client: the backoff timer still runs`, () => {
    const r = rig({ reconnect: { min: 100 } }, 1);
    let k = 0;
    r.c.on(ev, () => {
      if (k++ == 0) throw new Error("listener bug");
    });
    r.c.connect();
    r.up();
    uncaught(() => r.s().fire("error", { message: "reset" }));
    r.clock.advance(100);
    assert.is(r.socks.length, 2);
  });
}

test("tiny: end(); connect() inside an 'offline' listener keeps the 30 s connect timeout (not the backoff delay)", () => {
  const r = rig({ reconnect: { min: 1000 } }, 0.5);
  let once = 0;
  r.c.on("offline", () => {
    if (!once++) r.c.end(), r.c.connect();
  });
  r.c.connect();
  r.up();
  r.s().fire("close");
  r.s().onOpen(); // the new socket is open, its CONNACK is slow (TLS on an ESP8266, a busy broker)
  r.clock.advance(29999);
  assert.equal(r.events, ["connect", "close", "offline", "end"]);
  r.clock.advance(1);
  assert.equal(r.events.slice(4), ["error:CONNECT_TIMEOUT", "close"]);
});

test("tiny: unsubscribe([]) sends nothing: an UNSUBSCRIBE without a filter is a protocol violation [MQTT-3.10.3-2]", () => {
  const r = rig();
  r.c.connect();
  r.up();
  r.c.unsubscribe([]);
  assert.equal(r.s().take(), []); // today: a2020001, and mosquitto/aedes close the connection
});

for (const ka of [70000, 65536, -5]) {
  test(`F6 keepalive ${ka}: the CONNECT carries bytes only and the PINGREQ comes within the keepalive it announces`, () => {
    const r = rig({ keepalive: ka });
    r.c.connect();
    r.s().onOpen();
    const w = r.s().out.splice(0)[0];
    const codes = [...w].map((c) => c.charCodeAt(0));
    assert.ok(codes.every((c) => c >= 0 && c <= 255), "CONNECT has chars above 0xff: " + codes.slice(10, 12)); // Espruino keeps the low byte only
    const wire = (codes[10] << 8) | codes[11];
    r.s().data("20020000");
    if (wire) {
      r.clock.advance(wire * 1000);
      assert.equal(r.s().take(), ["c000"], "PINGREQ within the " + wire + " s announced [MQTT-3.1.2-23]");
    }
    assert.equal(r.events, ["connect"]);
  });
}

test("tiny: a remaining length of 5+ bytes is malformed [MQTT-2.2.3]: dropped, never an endless loop of empty messages", () => {
  for (const len of ["80".repeat(200), "8080808000"]) {
    const r = rig();
    r.c.connect();
    r.up();
    let n = 0;
    r.c.on("message", () => {
      if (++n > 10) throw new Error("the receive loop does not end");
    });
    uncaught(() => r.s().data("30" + len));
    assert.is(n, 0, "messages from " + len.slice(0, 12));
    assert.ok(r.s().ended, "the connection is closed");
  }
});

test("tiny: a broker that accepts then closes at once (duplicate client id, kicked) sees a growing backoff, not a storm", () => {
  const r = rig({ reconnect: { min: 1000, max: 60000 } }, 1);
  r.c.connect();
  const gaps: number[] = [];
  for (let i = 0; i < 5; i++) {
    r.up();
    r.s().fire("close"); // [MQTT-3.1.4-2]: a second client with the same id takes the session over
    const n = r.socks.length,
      t = r.clock.now();
    while (r.socks.length == n) r.clock.advance(1);
    gaps.push(r.clock.now() - t);
  }
  assert.equal(gaps, [1000, 2000, 4000, 8000, 16000]); // today: 1000 each time
});

test("tiny: a SUBACK failure (0x80) is reported: error SUBACK_FAILED, as the core client does", () => {
  const r = rig();
  r.c.connect();
  r.up();
  r.c.subscribe("secret/#");
  r.s().data("9003000180");
  assert.equal(r.events.map((e) => e.split(":")[0]), ["connect", "error"]);
  assert.ok(/SUBACK_FAILED/.test(r.events[1]));
});

test("tiny: an invalid filter is refused (BAD_FILTER) and never kept: mosquitto and aedes close the connection for it", () => {
  for (const f of ["", "a/#/b", "a+", "a\0b"]) {
    const r = rig();
    r.c.connect();
    r.up();
    assert.throws(() => r.c.subscribe(f), (e: any) => e.code == "BAD_FILTER", JSON.stringify(f));
    assert.equal(r.s().take(), []);
    r.s().fire("close");
    r.clock.advance(1000);
    assert.equal(r.up().slice(1), [], "not sent again on reconnect: " + JSON.stringify(f));
  }
});

test("tiny: the first PINGREQ comes within keepalive of the CONNECT, not of the CONNACK [MQTT-3.1.2-23]", () => {
  const r = rig({ keepalive: 10 });
  r.c.connect();
  r.s().onOpen(); // CONNECT at 0 s
  r.s().take();
  r.clock.advance(3000);
  r.s().data("20020000"); // CONNACK 3 s later
  r.clock.advance(7000);
  assert.equal(r.s().take(), ["c000"]); // today: at 13 s
});

test("tiny: a PUBLISH before CONNACK [MQTT-3.2.0-1] and a second CONNACK are protocol violations: not delivered, connection closed [MQTT-4.8.0-1]", () => {
  const a = rig();
  a.c.connect();
  a.s().onOpen();
  a.s().data("3005000174" + "7879");
  assert.equal(a.msgs, []);
  assert.ok(a.s().ended);
  const b = rig();
  b.c.connect();
  b.up();
  b.s().data("20020000");
  assert.equal(b.events.filter((e) => e == "connect").length, 1);
  assert.ok(b.s().ended);
});


test("tiny: esp8266-tiny (no TLS in the firmware) with tls: true never sends the CONNECT and its password in clear text", async () => {
  const b = await buildBoardBundle(loadBoard("esp8266"), "tiny");
  const driver = `
var log = [];
__standin.net.control.onConnect = function (peer) {
  log.push("socket tls=" + peer.tls);
  peer.onData = function (s) { log.push("wire " + s.replace(/[^ -~]/g, ".")); };
};
var m;
try {
  m = exports.connect({ host: "broker", port: 8883, tls: true, clientId: "dk", username: "u", password: "s3cret" });
  m.on("error", function (e) { log.push("error " + e.code); });
} catch (e) { log.push("threw " + e.code); }
__standin.run(1000);
if (m) m.end(true);
print(log.join("\\n"));
`;
  const r = runDuk(dukBundleScript(b.code, driver));
  assert.is(r.stderr || "", "");
  assert.not.match(r.stdout, /s3cret/, r.stdout); // today: "socket tls=false", "wire ....MQTT.....dk..u..s3cret"
  assert.not.match(r.stdout, /socket tls=false/);
});

test("tiny on Espruino's Object.keys (a numeric-looking name is a number): filters '123' and '0' are subscribed again on reconnect as strings", async () => {
  // (one rewrite: the resubscription's Object.keys(subs))
  const { tinyClient } = await buildWithEspruinoKeys("tiny/client.ts", 1);
  const h = espruinoHost(1);
  const c: any = tinyClient({ host: "h", port: 1883, clientId: "c", reconnect: { min: 10 } }, h.dial, h.now, h.setTimer, h.clearTimer, h.random);
  installEmitter(c);
  const errors: string[] = [];
  c.on("error", (e: any) => errors.push(e.code));
  const up = () => {
    h.s().onOpen();
    h.s().take();
    h.s().data(CONNACK);
    return h.s().take();
  };
  c.connect();
  up();
  c.subscribe(["123", "0"]);
  assert.equal(h.s().take(), ["820c0001" + "0003313233" + "00" + "000130" + "00"]);
  h.s().fire("close");
  h.clock.advance(10);
  // (Object.keys order: integer names first, ascending, as in V8)
  assert.equal(up(), ["820c0002" + "000130" + "00" + "0003313233" + "00"]);
  assert.equal(errors, []);
});

test.run();
