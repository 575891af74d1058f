/**
 * The client API: `createClient(options, hal)` makes a client that dials when
 * its `connect()` is called (Espruino MQTT style); `connect(url | options,
 * hal, options?)` makes one and dials at once (MQTT.js style).
 *
 * Events are emitted with `this.emit`: Espruino objects have on/emit built
 * in; elsewhere call `installEmitter(Client.prototype)` once (the Node entry
 * does).
 */
import type { Hal } from "../hal/hal";
import { Client, type ClientOptions } from "./client";
import { parseUrl } from "./url";

export { Client, State } from "./client";
export type { ClientOptions, PublishOptions, SubscribeOptions, MessageHandler, Callback, Pending } from "./client";
export { installEmitter } from "./emitter";
export type { Emitter } from "./emitter";
export { SpecKeepalive, KeepaliveAction } from "./keepalive";
export type { KeepalivePolicy } from "./keepalive";
export { backoff } from "./backoff";
export type { BackoffOptions } from "./backoff";
export { matches, validFilter, validTopic } from "./topic";
export { parseUrl } from "./url";

export function createClient(options: ClientOptions, hal: Hal): Client {
  return new Client(options, hal);
}

/** Make a client and dial now. `options` adds to (and overrides) what the URL says. */
export function connect(url: string | ClientOptions, hal: Hal, options?: Partial<ClientOptions>): Client {
  var o: any = {},
    k: string,
    a: any = typeof url == "string" ? parseUrl(url) : url;
  for (k in a) o[k] = a[k];
  for (k in options) o[k] = (options as any)[k];
  return new Client(o, hal).connect();
}
