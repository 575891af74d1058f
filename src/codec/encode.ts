/**
 * Encoders, one small function per packet type so a bundle keeps only those
 * its profile calls, plus the generic `encode`.
 *
 * Error contract: an encoder never throws. It returns the encoded packet as a
 * Uint8Array, or, when the packet cannot be sent, the error code (a string):
 *   TOO_LONG          a string or binary field over 65535 bytes [MQTT-1.5.3]
 *   PACKET_TOO_LARGE  the packet exceeds `writer.max` (the server's Maximum
 *                     Packet Size in 5.0, else the protocol limit [MQTT-2.2.3])
 *   BAD_PROPERTY      (5.0) a property the packet type does not allow
 * so the caller does `if (typeof r == "string") fail(wrenError(r))`.
 * Values the types already constrain (QoS 0..2, ids 1..65535, topics without
 * wildcards/U+0000) are the caller's to validate; a lone surrogate in a string
 * is written as U+FFFD.
 *
 * Buffer contract: the returned bytes are a view of the writer's reusable
 * buffer (the shared `defaultWriter` unless one is passed), valid until the
 * next encode with that writer. Write them out (Connection.write copies) or
 * copy them (`.slice()`) before encoding again. Encoding the same kind of
 * packet again (e.g. QoS 0 PUBLISH, same sizes) returns the same view object
 * and allocates nothing.
 *
 * `v` is the protocol level of the connection (4 = 3.1.1, 5 = 5.0); 5.0 fields
 * (properties, reason codes, subscription options) are written only when 5.
 */
import { V5 } from "../features";
import { BAD_TYPE } from "./errors";
import { PacketType } from "./packet";
import type {
  ConnackPacket,
  ConnectPacket,
  Packet,
  Properties,
  PublishPacket,
  SubackPacket,
  SubscribePacket,
  UnsubackPacket,
  UnsubscribePacket,
  ProtocolVersion,
} from "./packet";
import { wProps } from "./properties";
import { begin, end, need, w16, w8, wRaw, wStr, Writer } from "./writer";

/** Encoded packet or error code (see file header). */
export type Encoded = Uint8Array | string;

/** PUBLISH to encode: the payload may also be a string, written as UTF-8. */
export type OutPublish = Omit<PublishPacket, "payload"> & { payload: Uint8Array | string };

/** CONNECT; the protocol level written is `p.protocolVersion` (4 when absent). */
export function encodeConnect(p: ConnectPacket, w?: Writer): Encoded {
  // (`V5 && v5`: the flag first, so esbuild still folds it away)
  var u = p.will, n = p.username, v5 = p.protocolVersion == 5;
  begin(w);
  wStr("MQTT");
  w8(V5 && v5 ? 5 : 4);
  // connect flags [MQTT-3.1.2.3]: username, password, will retain, will qos, will, clean
  w8(
    (n != null ? 128 : 0) |
      (p.password ? 64 : 0) |
      (u ? 4 | (u.qos << 3) | (u.retain ? 32 : 0) : 0) |
      (p.clean ? 2 : 0),
  );
  w16(p.keepalive);
  if (V5 && v5) wProps(p.properties, 1);
  wStr(p.clientId);
  if (u) {
    if (V5 && v5) wProps(u.properties, 0);
    wStr(u.topic);
    wStr(u.payload);
  }
  if (n != null) wStr(n);
  if (p.password) wStr(p.password);
  return end(0x10);
}

/**
 * PUBLISH, the hot path: one pass into the reused buffer. `messageId` is
 * written for QoS 1 and 2 only [MQTT-2.3.1-5].
 */
export function encodePublish(p: OutPublish, v: ProtocolVersion, w?: Writer, a?: number | false, e?: unknown): Encoded {
  begin(w);
  // (5.0) `a`, the Topic Alias the client chose [MQTT-3.3.2.3.4] (0 or false: none),
  // with an empty topic if `e` (the server knows it): unless undefined, it replaces
  // any topicAlias in `p.properties` (see wProps)
  wStr(V5 && e ? "" : p.topic);
  if (p.qos) w16(p.messageId!);
  if (V5 && v == 5) wProps(p.properties, 3, a);
  wRaw(p.payload);
  return end(0x30 | (p.dup ? 8 : 0) | (p.qos << 1) | (p.retain ? 1 : 0));
}

export function encodeSubscribe(p: SubscribePacket, v: ProtocolVersion, w?: Writer): Encoded {
  return subs(p, p.subscriptions, v, w, 8);
}

export function encodeUnsubscribe(p: UnsubscribePacket, v: ProtocolVersion, w?: Writer): Encoded {
  return subs(p, p.unsubscriptions, v, w, 10);
}

/** SUBSCRIBE (`t` 8) and UNSUBSCRIBE (10): packet id, (5.0) properties, topic filters. */
function subs(p: SubscribePacket | UnsubscribePacket, s: any[], v: ProtocolVersion, w: Writer | undefined, t: number): Encoded {
  begin(w);
  w16(p.messageId);
  if (V5 && v == 5) wProps(p.properties, t);
  // (the `var` here: esbuild would move the statements above into the loop
  // head, where a folded-away flag test leaves a stray `false` behind)
  for (var i = 0, o; i < s.length; i++) {
    o = s[i];
    if (t == 8) {
      wStr(o.topic);
      // subscription options [MQTT-3.8.3.1]: retain handling, rap, no local, qos
      w8(V5 && v == 5 ? ((o.rh || 0) << 4) | (o.rap ? 8 : 0) | (o.nl ? 4 : 0) | o.qos : o.qos);
    } else wStr(o);
  }
  // reserved flags 0010 [MQTT-3.8.1-1, 3.10.1-1]
  return end((t << 4) | 2);
}

export function encodePingreq(w?: Writer): Encoded {
  begin(w);
  return end(0xc0);
}

/**
 * DISCONNECT. 5.0: reason code and properties, both omitted when the reason
 * is 0 and there are no properties [MQTT-3.14.2.1].
 */
export function encodeDisconnect(v: ProtocolVersion, reasonCode?: number, properties?: Properties, w?: Writer): Encoded {
  begin(w);
  if (V5 && v == 5) rcProps(reasonCode, properties, 14);
  return end(0xe0);
}

/** 5.0 reason code + properties tail shared by acks, DISCONNECT and AUTH. */
function rcProps(rc: number | undefined, o: Properties | undefined, t: number): void {
  if (rc || o) {
    w8(rc || 0);
    if (o) wProps(o, t);
  }
}

/**
 * PUBACK, PUBREC, PUBREL, PUBCOMP (`t` = 4..7). 5.0: reason code and
 * properties omitted when the reason is 0 and there are none [MQTT-3.4.2.1].
 */
export function encodeAck(
  t: number,
  messageId: number,
  v: ProtocolVersion,
  reasonCode?: number,
  properties?: Properties,
  w?: Writer,
): Encoded {
  begin(w);
  w16(messageId);
  if (V5 && v == 5) rcProps(reasonCode, properties, t);
  // PUBREL has reserved flags 0010 [MQTT-3.6.1-1]
  return end((t << 4) | (t == 6 ? 2 : 0));
}

/* Packets a server sends: for tests, gateways and brokers. */

export function encodeConnack(p: ConnackPacket, v: ProtocolVersion, w?: Writer): Encoded {
  begin(w);
  w8(p.sessionPresent ? 1 : 0);
  w8(p.returnCode);
  if (V5 && v == 5) wProps(p.properties, 2);
  return end(0x20);
}

/** SUBACK, and UNSUBACK (whose 3.1.1 form has no reason codes). */
function suback(p: SubackPacket | UnsubackPacket, v: ProtocolVersion, w: Writer | undefined, t: number): Encoded {
  var g = p.granted, i = 0;
  begin(w);
  w16(p.messageId);
  if (V5 && v == 5) wProps(p.properties, t);
  if (g && (t == 9 || (V5 && v == 5))) {
    need(g.length);
    for (; i < g.length; i++) w8(g[i]);
  }
  return end(t << 4);
}

export function encodeSuback(p: SubackPacket, v: ProtocolVersion, w?: Writer): Encoded {
  return suback(p, v, w, 9);
}

export function encodeUnsuback(p: UnsubackPacket, v: ProtocolVersion, w?: Writer): Encoded {
  return suback(p, v, w, 11);
}

export function encodePingresp(w?: Writer): Encoded {
  begin(w);
  return end(0xd0);
}

/** AUTH (5.0 only) [MQTT-3.15]. */
export function encodeAuth(reasonCode?: number, properties?: Properties, w?: Writer): Encoded {
  begin(w);
  rcProps(reasonCode, properties, 15);
  return end(0xf0);
}

/**
 * Any packet object, dispatched on `type`. An unknown type (or AUTH in 3.1.1)
 * yields BAD_TYPE.
 */
export function encode(p: Packet, v: ProtocolVersion, w?: Writer): Encoded {
  switch (p.type) {
    case PacketType.CONNECT:
      return encodeConnect(p, w);
    case PacketType.CONNACK:
      return encodeConnack(p, v, w);
    case PacketType.PUBLISH:
      return encodePublish(p, v, w);
    case PacketType.PUBACK:
    case PacketType.PUBREC:
    case PacketType.PUBREL:
    case PacketType.PUBCOMP:
      return encodeAck(p.type, p.messageId, v, p.reasonCode, p.properties, w);
    case PacketType.SUBSCRIBE:
      return encodeSubscribe(p, v, w);
    case PacketType.SUBACK:
      return encodeSuback(p, v, w);
    case PacketType.UNSUBSCRIBE:
      return encodeUnsubscribe(p, v, w);
    case PacketType.UNSUBACK:
      return encodeUnsuback(p, v, w);
    case PacketType.PINGREQ:
      return encodePingreq(w);
    case PacketType.PINGRESP:
      return encodePingresp(w);
    case PacketType.DISCONNECT:
      return encodeDisconnect(v, p.reasonCode, p.properties, w);
  }
  if (V5 && v == 5 && p.type == PacketType.AUTH) return encodeAuth(p.reasonCode, p.properties, w);
  return BAD_TYPE;
}
