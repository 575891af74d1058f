import type { BatteryConfig } from "../hal/espruino/power";
/**
 * Board constants folded in at build time from boards/<id>.json (see
 * scripts/lib/bundle.ts boardDefines). Undefined outside a board build (Node,
 * tests): then the fallbacks below apply. esbuild folds each `typeof` test, so
 * a board bundle carries only the literal values that are used.
 */
declare const WREN_TLS: boolean | undefined;
declare const WREN_DEEP_SLEEP: boolean | undefined;
declare const WREN_KEEPALIVE: number | undefined;
declare const WREN_MAX_PACKET: number | undefined;
declare const WREN_QUEUE_MAX: number | undefined;
declare const WREN_QUEUE_BYTES: number | undefined;
declare const WREN_INFLIGHT_MAX: number | undefined;
declare const WREN_BATTERY: BatteryConfig | null | undefined;
declare const WREN_CHIP: number | undefined;

/**
 * A board build (boardDefines sets every WREN_* together), whose entry
 * (src/entry/espruino.ts) the client may rely on: the HAL has no `random`,
 * and the full profile always hands the client a keepalive policy (Liveness),
 * so there the client leaves its default (SpecKeepalive) out.
 */
export const ON_BOARD: boolean = typeof WREN_KEEPALIVE !== "undefined";
/** The board's firmware has TLS (`require("tls")`); false on ESP8266. */
export const HAS_TLS: boolean = typeof WREN_TLS === "undefined" || WREN_TLS;
export const HAS_DEEP_SLEEP: boolean = typeof WREN_DEEP_SLEEP === "undefined" || WREN_DEEP_SLEEP;
/**
 * The chip's own Espruino module: 32 `ESP32` (the C3 too), 8266 `ESP8266`, 0 none (Linux).
 * A number: esbuild inlines a numeric constant, not a string. Undefined off a
 * board: the power HAL then looks for the module when it is used.
 */
export const CHIP: number | undefined = typeof WREN_CHIP === "undefined" ? undefined : WREN_CHIP;
/** Default keepalive, seconds. */
export const KEEPALIVE: number = typeof WREN_KEEPALIVE === "undefined" ? 60 : WREN_KEEPALIVE;
/** Largest packet accepted, bytes (sized for the board's RAM). */
export const MAX_PACKET: number = typeof WREN_MAX_PACKET === "undefined" ? 268435455 : WREN_MAX_PACKET;
/** Offline queue limits: messages and bytes (off a board: the clients' own defaults). */
export const QUEUE_MAX: number = typeof WREN_QUEUE_MAX === "undefined" ? 16 : WREN_QUEUE_MAX;
export const QUEUE_BYTES: number = typeof WREN_QUEUE_BYTES === "undefined" ? 4096 : WREN_QUEUE_BYTES;
/**
 * 5.0: topic aliases the class client gives on one connection at most, whatever the
 * server's Topic Alias Maximum (65,535 on some brokers): each holds its topic for the
 * connection's life and is searched on every publish.
 */
export const TOPIC_ALIASES = 32;
/** Outgoing QoS>0 messages in flight at once. */
export const INFLIGHT_MAX: number = typeof WREN_INFLIGHT_MAX === "undefined" ? 8 : WREN_INFLIGHT_MAX;
/**
 * Battery ADC pin, divider ratio, ADC reference and full/empty volts, or null.
 * Tested through WREN_KEEPALIVE (boardDefines sets every WREN_* together):
 * esbuild emits an object define as a variable, so `typeof WREN_BATTERY`
 * would not fold and would ship.
 */
export const BATTERY: BatteryConfig | null = typeof WREN_KEEPALIVE === "undefined" ? null : WREN_BATTERY!;
