/**
 * The MQTT 3.1.1 / 5.0 packet codec: pure functions over Uint8Array, no I/O.
 * Encoders: encode.ts (error and buffer contracts there). Stream decoder:
 * decoder.ts. Error codes: errors.ts.
 */
export * from "./packet";
export * from "./errors";
export { Writer, defaultWriter } from "./writer";
export {
  encode,
  encodeConnect,
  encodePublish,
  encodeSubscribe,
  encodeUnsubscribe,
  encodePingreq,
  encodeDisconnect,
  encodeAck,
  encodeConnack,
  encodeSuback,
  encodeUnsuback,
  encodePingresp,
  encodeAuth,
} from "./encode";
export type { Encoded, OutPublish } from "./encode";
export { Decoder } from "./decoder";
export type { DecoderHandler } from "./decoder";
export { decodePacket } from "./decode";
export type { PacketDecoder } from "./decode";
export { decodeAnyPacket } from "./decode-server";
export { utf8Write, utf8Length, utf8Decode } from "./utf8";
