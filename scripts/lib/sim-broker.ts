/**
 * A small MQTT 3.1.1 broker on the memory network (src/hal/memory): enough
 * of the server side of the protocol to run the real client deterministically
 * on a virtual clock for the energy simulator and the deep-sleep cycle tests.
 *
 * Persistent sessions (clean = false) keep subscriptions, the QoS 1/2
 * messages queued while the client is away, QoS 1/2 messages in flight to
 * the client (resent with DUP on reconnect [MQTT-4.4.0-1]) and the QoS 2 ids
 * received from the client awaiting PUBREL (so a resent QoS 2 PUBLISH is not
 * delivered twice). Every packet either way is logged with its time and size.
 */
import { Decoder } from "../../src/codec/decoder";
import { decodeAnyPacket } from "../../src/codec/decode-server";
import { encode } from "../../src/codec/encode";
import type { Packet, PublishPacket, QoS, Subscription } from "../../src/codec/packet";
import type { Clock } from "../../src/hal/hal";
import type { MemoryNet, MemoryPeer } from "../../src/hal/memory/transport";
import { matches } from "../../src/client/topic";

export interface LogEntry {
  t: number;
  /** 0: client -> broker, 1: broker -> client */
  dir: 0 | 1;
  type: number;
  bytes: number;
  clientId: string;
}

interface OutFlight {
  p: PublishPacket;
  /** awaiting: 4 PUBACK, 5 PUBREC, 7 PUBCOMP */
  w: number;
}

export interface BrokerSession {
  clientId: string;
  subs: Subscription[];
  /** messages waiting for the client to connect */
  queue: PublishPacket[];
  /** in flight to the client, by packet id, in send order */
  out: { [id: number]: OutFlight };
  outOrder: number[];
  /** QoS 2 ids received from the client, PUBREL not yet seen */
  in2: number[];
  nextId: number;
  peer: MemoryPeer | null;
}

export interface SimBroker {
  sessions: { [clientId: string]: BrokerSession };
  log: LogEntry[];
  /** Application messages accepted from clients (QoS 2 once). */
  accepted: { clientId: string; p: PublishPacket; t: number }[];
  /** Deliveries to clients (first sends, not DUP resends). */
  delivered: { clientId: string; p: PublishPacket; t: number }[];
  /** Publish as if from another client. */
  publish(topic: string, payload: Uint8Array, qos: QoS, retain?: boolean): void;
  /** When false, PINGREQ and everything else are read but never answered (a hung broker). */
  answering: boolean;
  /** Refuse connects (CONNACK 3, server unavailable) while true. */
  refusing: boolean;
}

export function simBroker(net: MemoryNet, clock: Clock): SimBroker {
  const b: SimBroker = {
    sessions: {},
    log: [],
    accepted: [],
    delivered: [],
    answering: true,
    refusing: false,
    publish(topic, payload, qos, retain) {
      route({ type: 3, topic, payload, qos, retain: !!retain, dup: false });
    },
  };

  function send(s: BrokerSession | null, peer: MemoryPeer, p: Packet, clientId: string) {
    const bytes = encode(p, 4);
    if (typeof bytes == "string") throw new Error("sim broker: cannot encode " + bytes);
    b.log.push({ t: clock.now(), dir: 1, type: p.type, bytes: bytes.length, clientId });
    peer.send(bytes);
    void s;
  }

  function deliver(s: BrokerSession, m: PublishPacket) {
    const qos = m.qos;
    const p: PublishPacket = { type: 3, topic: m.topic, payload: m.payload, qos, retain: m.retain, dup: false };
    if (qos) {
      do s.nextId = (s.nextId % 65535) + 1;
      while (s.out[s.nextId]);
      p.messageId = s.nextId;
      s.out[p.messageId] = { p, w: qos == 1 ? 4 : 5 };
      s.outOrder.push(p.messageId);
    }
    b.delivered.push({ clientId: s.clientId, p, t: clock.now() });
    send(s, s.peer!, p, s.clientId);
  }

  function route(m: PublishPacket) {
    for (const id of Object.keys(b.sessions)) {
      const s = b.sessions[id];
      let q = -1;
      for (const sub of s.subs) if (matches(sub.topic, m.topic) && sub.qos > q) q = sub.qos;
      if (q < 0) continue;
      const c: PublishPacket = { ...m, qos: Math.min(q, m.qos) as QoS, retain: false };
      if (s.peer) deliver(s, c);
      else if (c.qos) s.queue.push(c);
    }
  }

  net.onConnect = (peer) => {
    let s: BrokerSession | null = null;
    let cid = "";
    const dec = new Decoder(4, 1 << 28, {
      onPacket(p: Packet) {
        // size of the packet as sent: the canonical encoding (what the client writes)
        const e = encode(p, 4);
        b.log.push({ t: clock.now(), dir: 0, type: p.type, bytes: typeof e == "string" ? 0 : e.length, clientId: p.type == 1 ? p.clientId : cid });
        if (!b.answering) return;
        handle(p);
      },
      onError() {
        peer.cut();
      },
    }, decodeAnyPacket);
    peer.onData = (bytes) => dec.push(bytes);
    peer.onClose = () => {
      if (s && s.peer === peer) s.peer = null;
    };
    function handle(p: Packet) {
      switch (p.type) {
        case 1: {
          cid = p.clientId;
          if (b.refusing) {
            send(null, peer, { type: 2, sessionPresent: false, returnCode: 3 }, cid);
            peer.close();
            return;
          }
          const old = b.sessions[cid];
          if (old && old.peer && old.peer !== peer) old.peer.cut(); // session takeover [MQTT-3.1.4-2]
          const present = !!old && !p.clean;
          s = present
            ? old
            : { clientId: cid, subs: [], queue: [], out: {}, outOrder: [], in2: [], nextId: 0, peer: null };
          b.sessions[cid] = s;
          s.peer = peer;
          send(s, peer, { type: 2, sessionPresent: present, returnCode: 0 }, cid);
          // resend in flight in order, then what queued up meanwhile
          for (const id of s.outOrder) {
            const f = s.out[id];
            if (f.w == 7) send(s, peer, { type: 6, messageId: id }, cid);
            else send(s, peer, { ...f.p, dup: true }, cid);
          }
          const q = s.queue;
          s.queue = [];
          for (const m of q) deliver(s, m);
          return;
        }
        case 3: {
          if (!s) return;
          const id = p.messageId!;
          if (p.qos == 2) {
            if (s.in2.indexOf(id) < 0) {
              s.in2.push(id);
              accept(p);
            }
            send(s, peer, { type: 5, messageId: id }, cid);
          } else {
            accept(p);
            if (p.qos == 1) send(s, peer, { type: 4, messageId: id }, cid);
          }
          return;
        }
        case 6: {
          if (!s) return;
          const i = s.in2.indexOf(p.messageId);
          if (i >= 0) s.in2.splice(i, 1);
          send(s, peer, { type: 7, messageId: p.messageId }, cid);
          return;
        }
        case 4:
        case 5:
        case 7: {
          if (!s) return;
          const f = s.out[p.messageId];
          if (!f || f.w != p.type) return;
          if (p.type == 5) {
            f.w = 7;
            send(s, peer, { type: 6, messageId: p.messageId }, cid);
          } else {
            delete s.out[p.messageId];
            s.outOrder.splice(s.outOrder.indexOf(p.messageId), 1);
          }
          return;
        }
        case 8: {
          if (!s) return;
          const granted: number[] = [];
          for (const sub of p.subscriptions) {
            const i = s.subs.findIndex((x) => x.topic == sub.topic);
            if (i >= 0) s.subs.splice(i, 1);
            s.subs.push({ topic: sub.topic, qos: sub.qos });
            granted.push(sub.qos);
          }
          send(s, peer, { type: 9, messageId: p.messageId, granted }, cid);
          return;
        }
        case 10: {
          if (!s) return;
          s.subs = s.subs.filter((x) => p.unsubscriptions.indexOf(x.topic) < 0);
          send(s, peer, { type: 11, messageId: p.messageId }, cid);
          return;
        }
        case 12:
          send(s, peer, { type: 13 }, cid);
          return;
        case 14:
          if (s && s.peer === peer) s.peer = null;
          peer.close();
          return;
      }
    }
    function accept(p: PublishPacket) {
      const m: PublishPacket = { ...p, payload: p.payload.slice(), dup: false };
      delete m.messageId;
      b.accepted.push({ clientId: cid, p: m, t: clock.now() });
      route(m);
    }
  };
  return b;
}
