/**
 * A Node gateway: subscribes to every sensor, keeps the latest reading per
 * sensor, and republishes a retained summary every 10 s.
 *
 *   npx tsx examples/node-gateway.ts mqtt://localhost:1883
 */
import { connect } from "../src/entry/node";

const url = process.argv[2] || "mqtt://127.0.0.1:1883";
const latest: Record<string, string> = {};
const client = connect(url, { clientId: "wren-gateway", clean: false, keepalive: 60 });

client.on("connect", () => {
  client.subscribe("sensors/+/temp", { qos: 1 }, (err?: Error | null) => {
    if (err) console.error("subscribe refused:", err.message);
  });
});
client.on("message", (topic: string, payload: Uint8Array) => {
  const sensor = topic.split("/")[1];
  latest[sensor] = Buffer.from(payload).toString();
});
client.on("error", (e: Error) => console.error("mqtt:", e.message));

setInterval(() => {
  client.publish("gateway/summary", JSON.stringify(latest), { qos: 1, retain: true }, (err?: Error | null) => {
    if (err) console.error("summary not delivered:", err.message);
  });
}, 10000);
