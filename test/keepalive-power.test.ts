/** Battery bands (src/client/power-policy.ts) and the keepalive of the next CONNECT. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { band, keepaliveFor, negotiated, scale, Band } from "../src/client/power-policy";
import { simulatedPower } from "../src/hal/node/sim";
import type { ConnackPacket } from "../src/codec/packet";

test("bands with default thresholds (50 %, 20 %)", () => {
  assert.is(band(1, {}), Band.NORMAL);
  assert.is(band(0.5, {}), Band.NORMAL);
  assert.is(band(0.4999, {}), Band.SAVE);
  assert.is(band(0.2, {}), Band.SAVE);
  assert.is(band(0.1999, {}), Band.DUTY);
  assert.is(band(0, {}), Band.DUTY);
  assert.is(band(NaN, {}), Band.NORMAL); // unknown (mains): configured behaviour
});

test("thresholds and factor from options", () => {
  const o = { high: 0.7, low: 0.3, factor: 3 };
  assert.is(band(0.69, o), Band.SAVE);
  assert.is(band(0.29, o), Band.DUTY);
  assert.is(scale(Band.NORMAL, o), 1);
  assert.is(scale(Band.SAVE, o), 3);
  assert.is(keepaliveFor(60, Band.SAVE, o), 180);
});

test("battery changes change the next connect's keepalive", () => {
  const power = simulatedPower({ battery: 0.9 });
  const next = () => keepaliveFor(60, band(power.battery(), {}), {});
  assert.is(next(), 60);
  power.setBattery(0.35);
  assert.is(next(), 240);
  power.setBattery(0.1);
  assert.is(next(), 240);
  assert.is(band(power.battery(), {}), Band.DUTY);
  power.setBattery(NaN);
  assert.is(next(), 60);
  power.setBattery(0.8); // recharged
  assert.is(next(), 60);
});

test("keepalive stays a 16-bit value and 0 stays off [MQTT-3.1.2-10]", () => {
  assert.is(keepaliveFor(30000, Band.SAVE, {}), 65535);
  assert.is(keepaliveFor(0, Band.DUTY, {}), 0);
});

test("5.0 Server Keep Alive overrides what we sent [MQTT-3.2.2-21]", () => {
  const ack: ConnackPacket = { type: 2, sessionPresent: false, returnCode: 0, properties: { serverKeepAlive: 30 } };
  assert.is(negotiated(240, ack), 30);
  assert.is(negotiated(240, { type: 2, sessionPresent: false, returnCode: 0 }), 240);
  assert.is(negotiated(240, { type: 2, sessionPresent: false, returnCode: 0, properties: { serverKeepAlive: 0 } }), 0);
});

test.run();
