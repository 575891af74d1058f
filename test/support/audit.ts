/**
 * A QoS 2 wire auditor for the broker -> subscriber direction of a proxy:
 * it decodes every link's traffic (mqtt-packet) and notes where the BROKER
 * breaks exactly-once, so a test can tell the client's duplicates from the
 * broker's.
 *
 * The rule [MQTT-4.3.3-1]/[MQTT-4.4.0-1]: once the sender has sent PUBREL for
 * a packet id it must not send that PUBLISH again; on a resumed session it
 * re-sends the PUBREL. A receiver that freed the id on PUBREL must treat a
 * later PUBLISH with that id as a new message [MQTT-4.3.3-2]. So a message
 * the broker sends again after releasing it is a broker violation: the
 * receiver delivers it again, correctly. mosquitto 2.0.11 does this after a
 * restart (DUP 1), aedes 1.2.0 after a reconnect (DUP 0).
 */
import mqttPacket from "mqtt-packet";
import type { Proxy } from "./proxy";

export interface Auditor {
  /** Payloads (as text) of QoS 2 PUBLISHes the broker re-sent after releasing them. */
  resentAfterRelease: string[];
}

export function auditQos2(proxy: Proxy): Auditor {
  const a: Auditor = { resentAfterRelease: [] };
  // Stream payloads are unique, so a message is known by its payload: the
  // payload last sent under each packet id, and the payloads already released.
  const byId = new Map<number, string>();
  const released = new Set<string>();
  const parsers = new Map<number, ReturnType<typeof mqttPacket.parser>>();
  const prev = proxy.tap;
  proxy.tap = (dir, link, chunk) => {
    if (prev) prev(dir, link, chunk);
    if (dir !== "down") return;
    let p = parsers.get(link.id);
    if (!p) {
      p = mqttPacket.parser();
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      p.on("packet", (pk: any) => {
        if (pk.cmd === "publish" && pk.qos === 2) {
          const text = pk.payload.toString();
          // aedes re-sends with DUP 0, mosquitto with DUP 1: the payload tells.
          if (released.has(text)) a.resentAfterRelease.push(text);
          byId.set(pk.messageId, text);
        } else if (pk.cmd === "pubrel") {
          const text = byId.get(pk.messageId);
          if (text !== undefined) released.add(text);
        }
      });
      p.on("error", () => {});
      parsers.set(link.id, p);
    }
    p.parse(chunk);
  };
  return a;
}

/**
 * QoS 2 duplicates the client is responsible for: deliveries of a number
 * beyond the first that are not matched by a broker re-send after release.
 * `seq` are delivered sequence numbers; payloads start with "<n>:".
 */
export function clientDuplicates(seq: number[], a: Auditor): number[] {
  const excused = new Map<number, number>();
  for (const p of a.resentAfterRelease) {
    const n = parseInt(p, 10);
    excused.set(n, (excused.get(n) || 0) + 1);
  }
  const seen = new Map<number, number>();
  for (const n of seq) seen.set(n, (seen.get(n) || 0) + 1);
  const bad: number[] = [];
  for (const [n, c] of seen) if (c - 1 > (excused.get(n) || 0)) bad.push(n);
  return bad;
}
