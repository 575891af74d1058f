/**
 * Compile-time feature flags. The build defines WREN_* per feature profile and
 * esbuild folds the constants, so a disabled feature leaves no code in the
 * bundle. Undefined (tests, Node library use) means enabled.
 *
 * Profiles: core = complete MQTT 3.1.1 (no flag); full = core + V5 + PERSIST.
 * (The tiny profile is its own client, src/tiny: it uses none of these.)
 */
declare const WREN_V5: boolean | undefined;
declare const WREN_PERSIST: boolean | undefined;

/** MQTT 5.0: properties, reason codes, AUTH, topic aliases. */
export const V5: boolean = typeof WREN_V5 === "undefined" || WREN_V5;
/** Session state saved to flash through the storage HAL (deep-sleep cycles). */
export const PERSIST: boolean = typeof WREN_PERSIST === "undefined" || WREN_PERSIST;

declare const WREN_UNICODE: boolean | undefined;

/**
 * Strings hold any UTF-16 code unit (Node, Espruino's Linux build). False on
 * ESP32/ESP8266 builds, whose strings are bytes: there a decoded character
 * above U+00FF cannot be held (String.fromCharCode would keep its low byte,
 * another character) and becomes "?" instead. A board setting, not a profile one.
 */
export const UNICODE: boolean = typeof WREN_UNICODE === "undefined" || WREN_UNICODE;
