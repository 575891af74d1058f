/**
 * The memory HAL: an in-memory network, storage and a virtual clock, for
 * deterministic tests and the simulator. Platform-free (no Node imports).
 */
import type { Hal, Link, Power } from "../hal";
import { virtualClock, type VirtualClock } from "./clock";
import { memoryStorage, type MemoryStorage } from "./storage";
import { memoryNet, type MemoryNet, type MemoryNetOptions } from "./transport";

export { virtualClock } from "./clock";
export type { VirtualClock } from "./clock";
export { memoryStorage } from "./storage";
export type { MemoryStorage } from "./storage";
export { memoryNet } from "./transport";
// Platform-free despite living under node/: re-exported for memory-only users.
export { simulatedLink, simulatedPower } from "../node/sim";
export type { SimulatedLink, SimulatedPower, SimulatedPowerOptions } from "../node/sim";
export type { MemoryNet, MemoryNetOptions, MemoryPeer } from "./transport";

/** A seeded PRNG (mulberry32): deterministic jitter for tests and simulations. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface MemoryHal extends Hal {
  clock: VirtualClock;
  net: MemoryNet;
  storage: MemoryStorage;
}

export interface MemoryHalOptions extends Omit<MemoryNetOptions, "clock"> {
  /** Start time of the virtual clock (default 0). */
  start?: number;
  /** Seed for `random` (default 1). */
  seed?: number;
  power?: Power;
  link?: Link;
}

/** A complete deterministic Hal: virtual clock, memory network and storage, seeded random. */
export function memoryHal(opts: MemoryHalOptions = {}): MemoryHal {
  const clock = virtualClock(opts.start || 0);
  const net = memoryNet({ clock, latency: opts.latency, autoAccept: opts.autoAccept, chunkSize: opts.chunkSize });
  const hal: MemoryHal = {
    clock,
    net,
    transport: net.transport,
    storage: memoryStorage(),
    random: seededRandom(opts.seed === undefined ? 1 : opts.seed),
  };
  if (opts.power) hal.power = opts.power;
  if (opts.link) hal.link = opts.link;
  return hal;
}
