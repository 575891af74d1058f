/**
 * MQTT control packets as plain objects: the contract between the codec
 * (src/codec) and the session (src/client). Field names follow MQTT.js /
 * mqtt-packet where one exists, so users of either feel at home; `type` is the
 * numeric control packet type [MQTT-2.2.1] rather than a string, to keep
 * bundles small and dispatch cheap.
 *
 * Byte representation: every binary field (payload, password, binary
 * properties) is a Uint8Array. Node Buffers are Uint8Arrays already; the
 * Espruino HAL converts its binary strings once per socket chunk.
 */

/** Control packet types [MQTT-2.2.1]; AUTH exists in 5.0 only. */
export const enum PacketType {
  CONNECT = 1,
  CONNACK = 2,
  PUBLISH = 3,
  PUBACK = 4,
  PUBREC = 5,
  PUBREL = 6,
  PUBCOMP = 7,
  SUBSCRIBE = 8,
  SUBACK = 9,
  UNSUBSCRIBE = 10,
  UNSUBACK = 11,
  PINGREQ = 12,
  PINGRESP = 13,
  DISCONNECT = 14,
  AUTH = 15,
}

/** Protocol level byte of CONNECT: 4 = MQTT 3.1.1, 5 = MQTT 5.0. */
export type ProtocolVersion = 4 | 5;
export type QoS = 0 | 1 | 2;

/**
 * MQTT 5.0 properties [MQTT-2.2.2], named as in mqtt-packet. Which ones a
 * packet may carry is checked by the codec (table in properties.ts).
 * userProperties keeps order of first appearance; a repeated key collects its
 * values into an array.
 */
export interface Properties {
  payloadFormatIndicator?: boolean;
  messageExpiryInterval?: number;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Uint8Array;
  subscriptionIdentifier?: number | number[];
  sessionExpiryInterval?: number;
  assignedClientIdentifier?: string;
  serverKeepAlive?: number;
  authenticationMethod?: string;
  authenticationData?: Uint8Array;
  requestProblemInformation?: boolean;
  willDelayInterval?: number;
  requestResponseInformation?: boolean;
  responseInformation?: string;
  serverReference?: string;
  reasonString?: string;
  receiveMaximum?: number;
  topicAliasMaximum?: number;
  topicAlias?: number;
  maximumQoS?: number;
  retainAvailable?: boolean;
  userProperties?: { [key: string]: string | string[] };
  maximumPacketSize?: number;
  wildcardSubscriptionAvailable?: boolean;
  subscriptionIdentifiersAvailable?: boolean;
  sharedSubscriptionAvailable?: boolean;
}

export interface Will {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  properties?: Properties;
}

export interface ConnectPacket {
  type: PacketType.CONNECT;
  protocolVersion: ProtocolVersion;
  clientId: string;
  clean: boolean;
  /** Seconds; 0 disables keepalive [MQTT-3.1.2-10]. */
  keepalive: number;
  username?: string;
  password?: Uint8Array;
  will?: Will;
  properties?: Properties;
}

export interface ConnackPacket {
  type: PacketType.CONNACK;
  sessionPresent: boolean;
  /** 3.1.1 return code [MQTT-3.2.2.3] or 5.0 reason code. */
  returnCode: number;
  properties?: Properties;
}

export interface PublishPacket {
  type: PacketType.PUBLISH;
  topic: string;
  /** A view into the received chunk (no copy); copy it to keep it past the handler. */
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** Present for QoS 1 and 2 only [MQTT-2.3.1-5]. */
  messageId?: number;
  properties?: Properties;
}

/** PUBACK, PUBREC, PUBREL, PUBCOMP: a packet id, and in 5.0 a reason code. */
export interface AckPacket {
  type: PacketType.PUBACK | PacketType.PUBREC | PacketType.PUBREL | PacketType.PUBCOMP;
  messageId: number;
  /** 5.0 only; omitted on the wire when 0 (success) and there are no properties. */
  reasonCode?: number;
  properties?: Properties;
}

export interface Subscription {
  topic: string;
  qos: QoS;
  /** 5.0 subscription options [MQTT-3.8.3.1]. */
  nl?: boolean;
  rap?: boolean;
  rh?: 0 | 1 | 2;
}

export interface SubscribePacket {
  type: PacketType.SUBSCRIBE;
  messageId: number;
  subscriptions: Subscription[];
  properties?: Properties;
}

export interface SubackPacket {
  type: PacketType.SUBACK;
  messageId: number;
  /** Granted QoS or failure 0x80 (3.1.1), reason codes (5.0). */
  granted: number[];
  properties?: Properties;
}

export interface UnsubscribePacket {
  type: PacketType.UNSUBSCRIBE;
  messageId: number;
  unsubscriptions: string[];
  properties?: Properties;
}

export interface UnsubackPacket {
  type: PacketType.UNSUBACK;
  messageId: number;
  /** 5.0 reason codes, one per filter; absent in 3.1.1. */
  granted?: number[];
  properties?: Properties;
}

export interface PingPacket {
  type: PacketType.PINGREQ | PacketType.PINGRESP;
}

export interface DisconnectPacket {
  type: PacketType.DISCONNECT;
  /** 5.0 only. */
  reasonCode?: number;
  properties?: Properties;
}

export interface AuthPacket {
  type: PacketType.AUTH;
  reasonCode?: number;
  properties?: Properties;
}

export type Packet =
  | ConnectPacket
  | ConnackPacket
  | PublishPacket
  | AckPacket
  | SubscribePacket
  | SubackPacket
  | UnsubscribePacket
  | UnsubackPacket
  | PingPacket
  | DisconnectPacket
  | AuthPacket;
