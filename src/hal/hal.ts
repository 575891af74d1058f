/**
 * The hardware-abstraction layer: everything the pure core (codec, client)
 * needs from a platform, as a few small interfaces. Porting wren-mqtt to a new
 * platform means implementing these; the core imports nothing else.
 *
 * Implementations: src/hal/node (net, tls, fs), src/hal/espruino (net, tls,
 * Wifi, Storage, deep sleep, ADC), src/hal/memory (in-memory, virtual clock,
 * for deterministic tests and the simulator).
 */

/**
 * Where to connect. `tls` selects the TLS variant of the transport. The
 * client may pass its whole options object here (with username, password,
 * ...): transports read only these fields and never put any field's value
 * into an error message.
 *
 * Espruino: `ca`/`cert`/`key` are converted from PEM to DER (the firmware
 * has no PEM parser) in the core/full profiles; the tiny profile passes
 * them as given (DER binary strings). Espruino's firmware does NOT verify
 * the server certificate or its name (mbedTLS VERIFY_NONE), so
 * `servername` and `rejectUnauthorized` have no effect on a board.
 */
export interface Target {
  host: string;
  port: number;
  tls?: boolean;
  /** TLS options (PEM strings). `rejectUnauthorized` defaults to true. */
  ca?: string;
  cert?: string;
  key?: string;
  servername?: string;
  rejectUnauthorized?: boolean;
}

/**
 * Receives a connection's events. Contract:
 * - no callback runs inside `Transport.connect` (not even when it fails at
 *   once: bad options, a host that does not resolve);
 * - after `Transport.connect`, either `onOpen` then any number of `onData`
 *   and finally exactly one `onClose`, or `onClose` alone (connect failed);
 * - an error is never a separate event: it arrives as `onClose(err)`, once,
 *   after which no other callback fires (Espruino fires `error` then `close`,
 *   Node `error` then `close`: the implementations fold them). `err` is a
 *   WrenError: NET_REFUSED, NET_RESET, NET_TIMEOUT, NET_DNS,
 *   NET_UNREACHABLE, NET_CONFIG, NET (other); TLS_UNTRUSTED (chain not
 *   from the given CA), TLS_HOSTNAME (certificate not for the servername),
 *   TLS_EXPIRED, TLS_CONFIG (our CA/cert/key unusable), TLS_HANDSHAKE
 *   (other TLS failures). Espruino reports one code, NET, with its own
 *   message ("connection reset", "SSL handshake failed", ...);
 * - `onData` chunks are of any size and split packets anywhere (at most
 *   536 bytes on Espruino). A chunk may be kept: it is not reused;
 * - the callbacks are methods: call them on the handler (`handler.onData(c)`,
 *   or bound to it), never detached (`sock.on("data", handler.onData)`):
 *   off a board the class client's handlers share their functions and find
 *   their client through `this`.
 */
export interface TransportHandler {
  onOpen(): void;
  onData(chunk: Uint8Array): void;
  onClose(err?: Error): void;
}

/** One open (or opening) connection. */
export interface Connection {
  /**
   * Queue bytes for sending. The caller may reuse `bytes` as soon as write
   * returns: implementations copy (or send synchronously). Writes after close
   * are ignored.
   */
  write(bytes: Uint8Array): void;
  /** Close after flushing written bytes; `onClose()` follows. */
  end(): void;
  /**
   * Close now, dropping unsent bytes; no `onData` after it, `onClose()`
   * follows (asynchronously). Espruino has no abortive close: there it is
   * `end()` with incoming data discarded.
   */
  destroy(): void;
}

export interface Transport {
  connect(target: Target, handler: TransportHandler): Connection;
}

/** Monotonic milliseconds and one-shot timers. */
export interface Clock {
  /**
   * Monotonic time in ms: never goes backwards, unaffected by wall-clock
   * changes. Espruino has no monotonic clock: core/full keep Date.now()
   * from going backwards; tiny uses Date.now() as is.
   */
  now(): number;
  /** Call `fn` once after `ms` (>= 0). Returns a handle for `clearTimer`. */
  setTimer(fn: () => void, ms: number): unknown;
  /** Cancel a pending timer; a no-op for a fired or cleared handle. */
  clearTimer(handle: unknown): void;
}

/**
 * Named records in non-volatile storage (flash). A record is written whole:
 * after a reset, `read` returns either the old or the new value, never a mix
 * (Espruino: two files per record with a checksum, since Storage.write is
 * not atomic). `read` returns a copy; an empty record is allowed. Names are
 * 1..24 printable ASCII characters (Espruino's limit is 28; its HAL adds
 * one). `write` may throw (flash full, I/O error).
 */
export interface Storage {
  read(name: string): Uint8Array | undefined;
  write(name: string, data: Uint8Array): void;
  erase(name: string): void;
}

/** Why the device (re)started. */
export type WakeReason = "power-on" | "deep-sleep" | "reset" | "unknown";

export interface Power {
  /** Battery charge 0..1, or NaN when unknown (mains powered). */
  battery(): number;
  /**
   * Deep sleep for `ms`; on real boards execution restarts at boot
   * afterwards. Espruino: 1 ms .. 2^31-1 us (~35.8 min, ESP32's C int);
   * chain longer sleeps.
   */
  deepSleep(ms: number): void;
  wakeReason(): WakeReason;
}

/**
 * The network link under the transport (WiFi, cellular). The client does not
 * dial while the link is down, and redials as soon as it comes up. The
 * listener hears real changes only (never up->up). The link redials the
 * network itself, with backoff (Espruino: Wifi.connect at most once per
 * delay, 5 s doubling to 5 min).
 */
export interface Link {
  isUp(): boolean;
  /** Register the one listener for up/down changes. */
  onChange(fn: (up: boolean) => void): void;
}

/** What a client is given. Only transport and clock are required. */
export interface Hal {
  transport: Transport;
  clock: Clock;
  storage?: Storage;
  power?: Power;
  link?: Link;
  /** Uniform random in [0, 1) for backoff jitter; injectable for tests. */
  random?: () => number;
}

/**
 * The tiny profile's HAL: the platform's own socket API instead of
 * Transport/Connection, so that on Espruino it is `require("net")` itself and
 * costs no wrapper code. Chunks are binary strings both ways (one char per
 * byte), Espruino's native form. A socket fires `data`, then `error` (if
 * any) and `close`; `end()` closes after flushing what was written.
 */
export interface TinySocket {
  on(event: string, fn: (arg?: any) => void): unknown;
  write(bytes: string): unknown;
  end(): unknown;
}

/**
 * Dial `target` (host, port, tls...); `onOpen` runs once connected. May
 * throw (host unknown, no socket free). The rest of the tiny HAL is a clock
 * and timers (now, setTimer, clearTimer: only ever called with a live timer,
 * as Espruino's clearTimeout throws on a fired one) and random() for jitter.
 */
export type TinyConnect = (target: Target, onOpen: () => void) => TinySocket;
