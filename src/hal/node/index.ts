/** The Node HAL: real sockets, monotonic clock, file storage. */
import type { Hal, Link, Power, Storage } from "../hal";
import { monotonicClock } from "./clock";
import { fileStorage } from "./storage";
import { nodeTransport } from "./transport";

export { monotonicClock } from "./clock";
export { fileStorage } from "./storage";
export { mapNodeError, nodeTransport } from "./transport";
export { simulatedLink, simulatedPower } from "./sim";
export type { SimulatedLink, SimulatedPower, SimulatedPowerOptions } from "./sim";

export interface NodeHalOptions {
  /** Directory for persisted session state (fileStorage); none: no storage. */
  storageDir?: string;
  /** Or any Storage (wins over storageDir). */
  storage?: Storage;
  power?: Power;
  link?: Link;
  random?: () => number;
}

export function nodeHal(opts: NodeHalOptions = {}): Hal {
  const hal: Hal = { transport: nodeTransport(), clock: monotonicClock(), random: opts.random || Math.random };
  const storage = opts.storage || (opts.storageDir ? fileStorage(opts.storageDir) : undefined);
  if (storage) hal.storage = storage;
  if (opts.power) hal.power = opts.power;
  if (opts.link) hal.link = opts.link;
  return hal;
}
