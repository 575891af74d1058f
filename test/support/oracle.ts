/**
 * mqtt-packet as an independent oracle for the codec tests: maps our packet
 * objects (numeric `type`, Uint8Array bytes) to mqtt-packet's (`cmd` names,
 * Buffers, `reasonCode` for 5.0 CONNACK) and back, and a canonical form for
 * deep comparison (bytes as hex, undefined keys dropped, null-prototype
 * objects made plain).
 */
import mqtt from "mqtt-packet";
import type { Packet, ProtocolVersion } from "../../src/codec/packet";

export const CMDS = [
  "reserved",
  "connect",
  "connack",
  "publish",
  "puback",
  "pubrec",
  "pubrel",
  "pubcomp",
  "subscribe",
  "suback",
  "unsubscribe",
  "unsuback",
  "pingreq",
  "pingresp",
  "disconnect",
  "auth",
];

const BIN_PROPS = ["correlationData", "authenticationData"];

function buf(b: Uint8Array | string | undefined): Buffer | undefined {
  if (b == null) return undefined;
  return typeof b == "string" ? Buffer.from(b, "utf8") : Buffer.from(b.buffer, b.byteOffset, b.length);
}

function propsOut(o: any): any {
  if (!o) return undefined;
  const r: any = {};
  for (const k of Object.keys(o)) {
    if (o[k] === undefined) continue;
    r[k] = BIN_PROPS.includes(k) ? buf(o[k]) : o[k];
  }
  return r;
}

/** Our packet -> mqtt-packet object for `generate`. */
export function toMqtt(p: any, v: ProtocolVersion): any {
  const m: any = { cmd: CMDS[p.type] };
  const v5 = v == 5;
  switch (p.type) {
    case 1:
      Object.assign(m, {
        protocolId: "MQTT",
        protocolVersion: p.protocolVersion,
        clientId: p.clientId,
        clean: p.clean,
        keepalive: p.keepalive,
      });
      if (p.username != null) m.username = p.username;
      if (p.password) m.password = buf(p.password);
      if (p.will)
        m.will = {
          topic: p.will.topic,
          payload: buf(p.will.payload),
          qos: p.will.qos,
          retain: p.will.retain,
          properties: propsOut(p.will.properties),
        };
      break;
    case 2:
      m.sessionPresent = p.sessionPresent;
      if (v5) m.reasonCode = p.returnCode;
      else m.returnCode = p.returnCode;
      break;
    case 3:
      Object.assign(m, { topic: p.topic, payload: buf(p.payload), qos: p.qos, retain: p.retain, dup: p.dup });
      if (p.qos) m.messageId = p.messageId;
      break;
    case 4:
    case 5:
    case 6:
    case 7:
      m.messageId = p.messageId;
      if (v5) m.reasonCode = p.reasonCode || 0;
      break;
    case 8:
      m.messageId = p.messageId;
      m.subscriptions = p.subscriptions.map((s: any) =>
        v5 ? { topic: s.topic, qos: s.qos, nl: !!s.nl, rap: !!s.rap, rh: s.rh || 0 } : { topic: s.topic, qos: s.qos },
      );
      break;
    case 9:
    case 11:
      m.messageId = p.messageId;
      if (p.granted) m.granted = p.granted;
      break;
    case 10:
      m.messageId = p.messageId;
      m.unsubscriptions = p.unsubscriptions;
      break;
    case 14:
    case 15:
      if (v5) m.reasonCode = p.reasonCode || 0;
      break;
  }
  if (v5 && p.properties) m.properties = propsOut(p.properties);
  return m;
}

/** mqtt-packet parsed object -> our packet (the fields our decoder produces). */
export function fromMqtt(m: any, v: ProtocolVersion): Packet {
  const type = CMDS.indexOf(m.cmd);
  const v5 = v == 5;
  const p: any = { type };
  switch (type) {
    case 1:
      Object.assign(p, {
        protocolVersion: m.protocolVersion,
        clientId: m.clientId,
        clean: m.clean,
        keepalive: m.keepalive,
        username: m.username,
        password: m.password,
      });
      if (m.will)
        p.will = {
          topic: m.will.topic,
          payload: m.will.payload,
          qos: m.will.qos,
          retain: m.will.retain,
          properties: m.will.properties,
        };
      break;
    case 2:
      p.sessionPresent = m.sessionPresent;
      p.returnCode = v5 ? m.reasonCode : m.returnCode;
      break;
    case 3:
      Object.assign(p, { topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain, dup: m.dup });
      if (m.qos) p.messageId = m.messageId;
      break;
    case 4:
    case 5:
    case 6:
    case 7:
      p.messageId = m.messageId;
      if (v5) p.reasonCode = m.reasonCode;
      break;
    case 8:
      p.messageId = m.messageId;
      p.subscriptions = m.subscriptions;
      break;
    case 9:
    case 11:
      p.messageId = m.messageId;
      if (type == 9 || v5) p.granted = m.granted;
      break;
    case 10:
      p.messageId = m.messageId;
      p.unsubscriptions = m.unsubscriptions;
      break;
    case 14:
    case 15:
      if (v5) p.reasonCode = m.reasonCode;
      break;
  }
  if (v5 && m.properties) p.properties = m.properties;
  return p;
}

/** Canonical form for deep-equality: hex bytes, no undefined keys, plain objects. */
export function canon(x: any): any {
  if (x instanceof Uint8Array) return "hex:" + Buffer.from(x.buffer, x.byteOffset, x.length).toString("hex");
  if (Array.isArray(x)) return x.map(canon);
  if (x && typeof x == "object") {
    const r: any = {};
    for (const k of Object.keys(x).sort()) if (x[k] !== undefined) r[k] = canon(x[k]);
    return r;
  }
  return x;
}

/** mqtt-packet's bytes for our packet object. */
export function mqttGenerate(p: Packet, v: ProtocolVersion): Uint8Array {
  return new Uint8Array(mqtt.generate(toMqtt(p, v), { protocolVersion: v }));
}

/** All packets mqtt-packet parses from `bytes`, as our objects; throws on a parse error. */
export function mqttParse(bytes: Uint8Array, v: ProtocolVersion): Packet[] {
  const parser = mqtt.parser({ protocolVersion: v });
  const out: Packet[] = [];
  let err: Error | undefined;
  parser.on("packet", (m: any) => out.push(fromMqtt(m, v)));
  parser.on("error", (e: Error) => (err = err || e));
  parser.parse(Buffer.from(bytes));
  if (err) throw err;
  return out;
}

export function hex(b: Uint8Array | string): string {
  if (typeof b == "string") return "error:" + b;
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString("hex");
}

export function unhex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"));
}

import { Decoder } from "../../src/codec/decoder";
import { decodeAnyPacket } from "../../src/codec/decode-server";
import { decodePacket } from "../../src/codec/decode";

/** Result of feeding bytes to our Decoder: packets in order, error codes. */
export interface Decoded {
  packets: Packet[];
  errors: string[];
}

/**
 * Feeds `bytes` to a fresh Decoder, split at the given cut points (indexes)
 * or into `size`-byte chunks; decodes every packet type unless `client`.
 */
export function decodeAll(
  bytes: Uint8Array,
  v: ProtocolVersion,
  opts: { cuts?: number[]; size?: number; max?: number; client?: boolean } = {},
): Decoded {
  const out: Decoded = { packets: [], errors: [] };
  const d = new Decoder(
    v,
    opts.max || 1 << 28,
    {
      // binary fields are views valid during onPacket only: copy them
      onPacket: (p) => out.packets.push(copyBytes(p)),
      onError: (e) => out.errors.push(e.code),
    },
    opts.client ? decodePacket : decodeAnyPacket,
  );
  let cuts = opts.cuts || [];
  if (opts.size) for (let i = opts.size; i < bytes.length; i += opts.size) cuts.push(i);
  let a = 0;
  for (const c of [...cuts, bytes.length]) {
    // copy each chunk so views into it cannot hide a decoder bug
    d.push(bytes.slice(a, c));
    a = c;
  }
  return out;
}

/** Deep copy with every Uint8Array copied (null-prototype objects kept as such). */
export function copyBytes(x: any): any {
  if (x instanceof Uint8Array) return x.slice();
  if (Array.isArray(x)) return x.map(copyBytes);
  if (x && typeof x == "object") {
    const r: any = Object.getPrototypeOf(x) ? {} : Object.create(null);
    for (const k of Object.keys(x)) r[k] = copyBytes(x[k]);
    return r;
  }
  return x;
}

/** Concatenates byte arrays. */
export function concat(parts: Uint8Array[]): Uint8Array {
  const r = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    r.set(p, o);
    o += p.length;
  }
  return r;
}

const te = new TextEncoder();
export const bytes = (s: string) => te.encode(s);

/**
 * One or more packets of every type in the form our decoder returns them
 * (defaults explicit), for protocol level `v`: round-trip and oracle fixtures.
 */
export function samplePackets(v: ProtocolVersion): any[] {
  const v5 = v == 5;
  const P = (o: any) => (v5 ? o : undefined);
  const ack = (type: number) => ({
    type,
    messageId: 258,
    reasonCode: P(0),
  });
  const list: any[] = [
    { type: 1, protocolVersion: v, clientId: "abc", clean: true, keepalive: 60, properties: P({ sessionExpiryInterval: 120 }) },
    {
      type: 1,
      protocolVersion: v,
      clientId: "dev-ü",
      clean: false,
      keepalive: 0,
      username: "user",
      password: bytes("pw\u0000x"),
      will: { topic: "w/t", payload: bytes("gone"), qos: 1, retain: true, properties: P({ willDelayInterval: 5, contentType: "text/plain" }) },
      properties: P({ receiveMaximum: 20, userProperties: { a: "1", b: ["2", "3"] }, requestProblemInformation: false }),
    },
    { type: 2, sessionPresent: true, returnCode: 0 },
    { type: 2, sessionPresent: false, returnCode: v5 ? 0x87 : 5, properties: P({ reasonString: "no", maximumQoS: 1, retainAvailable: false, serverKeepAlive: 30, assignedClientIdentifier: "x1", topicAliasMaximum: 10, maximumPacketSize: 1000, wildcardSubscriptionAvailable: true, subscriptionIdentifiersAvailable: true, sharedSubscriptionAvailable: false }) },
    { type: 3, topic: "a/b", payload: bytes("hi"), qos: 0, retain: false, dup: false },
    { type: 3, topic: "sensors/€/😀", payload: new Uint8Array(300).fill(7), qos: 1, retain: true, dup: true, messageId: 1 },
    { type: 3, topic: "q2", payload: new Uint8Array(0), qos: 2, retain: false, dup: false, messageId: 65535, properties: P({ payloadFormatIndicator: true, messageExpiryInterval: 4294967295, responseTopic: "r", correlationData: bytes("cd"), topicAlias: 2, subscriptionIdentifier: [1, 268435455], userProperties: { k: "v" } }) },
    ack(4),
    ack(5),
    ack(6),
    ack(7),
    { type: 8, messageId: 1, subscriptions: [{ topic: "a/+", qos: 0 }, { topic: "#", qos: 2 }].map((s) => (v5 ? { ...s, nl: false, rap: false, rh: 0 } : s)) },
    { type: 9, messageId: 1, granted: [0, 1, 2, 128] },
    { type: 10, messageId: 2, unsubscriptions: ["a/+", "#"] },
    { type: 11, messageId: 2, granted: P([0, 17]) },
    { type: 12 },
    { type: 13 },
    { type: 14, reasonCode: P(0) },
  ];
  if (v5)
    list.push(
      { type: 4, messageId: 9, reasonCode: 0x10 },
      { type: 5, messageId: 9, reasonCode: 0x80, properties: { reasonString: "nope", userProperties: { x: "y" } } },
      { type: 8, messageId: 3, properties: { subscriptionIdentifier: 7 }, subscriptions: [{ topic: "s/#", qos: 1, nl: true, rap: true, rh: 2 }] },
      { type: 9, messageId: 3, granted: [1, 0x87], properties: { reasonString: "r" } },
      { type: 10, messageId: 4, unsubscriptions: ["u"], properties: { userProperties: { a: "b" } } },
      { type: 14, reasonCode: 0x8e, properties: { sessionExpiryInterval: 0, serverReference: "other" } },
      { type: 15, reasonCode: 0x18, properties: { authenticationMethod: "SCRAM", authenticationData: bytes("abc") } },
      { type: 15, reasonCode: 0 },
    );
  return list;
}
