/**
 * Error codes of the codec: short stable strings, carried as `WrenError.code`
 * (src/errors.ts). Decoder errors arrive through `DecoderHandler.onError`;
 * encoders return the code string instead of bytes (see encode.ts).
 */

/** Decode: packet (header + remaining length) exceeds maxPacketSize. Encode: exceeds Writer.max. */
export const PACKET_TOO_LARGE = "PACKET_TOO_LARGE";
/** Remaining length / variable byte integer malformed: continuation in 4th byte, or non-minimal in 5.0 [MQTT-1.5.5-1]. */
export const BAD_LENGTH = "BAD_LENGTH";
/** Reserved fixed-header flag bits wrong [MQTT-2.2.2-1/2], or reserved bits in CONNECT/CONNACK/subscription options. */
export const BAD_FLAGS = "BAD_FLAGS";
/** Control packet type 0, 15 in 3.1.1, or a type this build cannot decode. */
export const BAD_TYPE = "BAD_TYPE";
/** Invalid UTF-8 (overlong, surrogate, truncated, > U+10FFFF) or U+0000 [MQTT-1.5.3-1/2]. */
export const BAD_UTF8 = "BAD_UTF8";
/** QoS 3 in PUBLISH [MQTT-3.3.1-4], will or subscription. */
export const BAD_QOS = "BAD_QOS";
/** Contents do not fit the remaining length: truncated field or trailing bytes. */
export const MALFORMED = "MALFORMED";
/** 5.0: unknown property, property not allowed in this packet, or a bad value. */
export const BAD_PROPERTY = "BAD_PROPERTY";
/** 5.0: property repeated where only one is allowed. */
export const DUP_PROPERTY = "DUP_PROPERTY";
/** CONNECT with a protocol name other than "MQTT" or a level other than 4 or 5. */
export const BAD_PROTOCOL = "BAD_PROTOCOL";
/** Encode: a string or binary field over 65535 bytes [MQTT-1.5.3]. */
export const TOO_LONG = "TOO_LONG";
