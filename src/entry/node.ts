/**
 * Entry of the Node library (dist/node/index.js, ESM, all features).
 * Intended surface (filled in as src/client and src/hal/node land):
 * createClient, connect, nodeHal and the packet/codec types.
 */
export { wrenError } from "../errors";
export type { WrenError } from "../errors";
export { CORE, V5, PERSIST } from "../features";
export type * from "../codec/packet";
export type * from "../hal/hal";
