/**
 * Entry of the Node library (dist/node/index.js, ESM, all features): the
 * client with Node's HAL (net, tls, fs) and an event emitter mixed in (Node
 * objects have no built-in on/emit, Espruino's do), plus the codec, the HAL
 * implementations and the types, for gateways, hosts and fleet simulators.
 *
 *   import { connect } from "wren-mqtt";
 *   const c = connect("mqtt://localhost", { clientId: "gw1" });
 */
import { Client, type ClientOptions } from "../client/client";
import { connect as connectWith, createClient as createWith, installEmitter } from "../client/index";
import type { Hal } from "../hal/hal";
import { nodeHal } from "../hal/node/index";

installEmitter(Client.prototype);

/** Make a client (dials on `client.connect()`); the HAL defaults to Node's. */
export function createClient(options: ClientOptions, hal?: Hal): Client {
  return createWith(options, hal || nodeHal());
}

/** Make a client and dial: `connect("mqtts://host", { clientId, ca })`. */
export function connect(url: string | ClientOptions, options?: Partial<ClientOptions>, hal?: Hal): Client {
  return connectWith(url, hal || nodeHal(), options);
}

export { Client, parseUrl, matches, validFilter, validTopic, backoff } from "../client/index";
export type { ClientOptions, PublishOptions, SubscribeOptions, MessageHandler, Callback } from "../client/index";
export { wrenError } from "../errors";
export type { WrenError } from "../errors";
export { V5, PERSIST } from "../features";
export * from "../codec/index";
export type * from "../hal/hal";
export { nodeHal, nodeTransport, monotonicClock, fileStorage, simulatedLink, simulatedPower } from "../hal/node/index";
export { memoryHal, memoryNet, memoryStorage, virtualClock, seededRandom } from "../hal/memory/index";
