/**
 * `npm run bench`: the codec bench (wren codec vs mqtt-packet, in-process) and
 * the client bench (wren client vs MQTT.js through a mosquitto on loopback),
 * each printing ratios against its baseline measured in the same run. A
 * failing bench does not hide the other; the exit code reports it.
 */
import { printCodecBench, runCodecBench } from "./bench-codec";
import { clientTable, runClientBench } from "./bench-client";

const t0 = performance.now();
let failed = false;
console.log("== codec ==");
try {
  printCodecBench(runCodecBench());
} catch (e) {
  failed = true;
  console.error("codec bench failed:", e);
}
console.log("\n== client (mosquitto on loopback) ==");
try {
  const r = await runClientBench();
  console.log("\n" + clientTable(r));
} catch (e) {
  failed = true;
  console.error("client bench failed:", e);
}
console.log(`\nbench took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
if (failed) process.exitCode = 1;
