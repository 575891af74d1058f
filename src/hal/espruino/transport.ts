/**
 * Espruino transport over the built-in `net` / `tls` modules. Ships to
 * boards (core and full profiles): ES5 and as small as it can be.
 *
 * Espruino facts this relies on (libs/network/socketserver.c, jswrap_net.c,
 * network.c in the Espruino sources):
 * - socket events run from the idle loop, never inside connect();
 * - `data` delivers a binary string of at most one network chunk (536 bytes
 *   on ESP8266/ESP32): converted once per chunk with E.toUint8Array (a copy);
 * - on close: `error` {code < 0, message} (only if there was one), `end`,
 *   then `close(had_error)`: folded here into one onClose(err);
 * - `write` takes a string (anything else goes through toString: a
 *   Uint8Array would be sent as "1,2,3"). It appends to the socket's send
 *   buffer, i.e. copies, so the caller may reuse its buffer. E.toString of
 *   a Uint8Array may return its backing string without a copy, which that
 *   append makes harmless. E.toString returns undefined only when no flat
 *   string fits in RAM: write(undefined) appends nothing (the packet is
 *   lost whole, the stream stays well-formed);
 * - there is no destroy: `end()` closes once the send buffer is flushed, and
 *   data arriving meanwhile is still delivered (dropped here after destroy);
 * - connect() throws synchronously when the host does not resolve or no
 *   socket is free ("Unable to locate host", "Unable to create socket"),
 *   and for a TLS option it cannot parse;
 * - TLS `ca`/`cert`/`key` must be DER (Espruino's mbedTLS has no PEM
 *   parser): converted here from PEM. Espruino does not verify the server
 *   certificate or its name (mbedTLS authmode VERIFY_NONE in
 *   libs/network/network.c): `servername` and `rejectUnauthorized` have no
 *   effect on a board.
 */
import { wrenError } from "../../errors";
import type { Connection, Target, Transport, TransportHandler } from "../hal";

declare const E: {
  toUint8Array(s: string): Uint8Array;
  toString(b: Uint8Array): string | undefined;
};

/**
 * PEM -> DER binary string: the first certificate or key block (a leading
 * "EC PARAMETERS" block is skipped, its header ends in "S-----").
 */
export function pemToDer(pem?: string): string | undefined {
  return pem && atob(pem.match(/[EY]-----([^-]+)/)![1].replace(/\s/g, ""));
}

export function espruinoTransport(): Transport {
  return { connect: espruinoConnect };
}

export function espruinoConnect(t: Target, h: TransportHandler): Connection {
  // Espruino itself guarantees what the contract asks: one `close` per
  // socket, nothing after it, and write/end on a closed socket touch nothing
  // on the wire. So no state is kept here but the error and `dead`.
  var s: any;
  var err: Error | undefined;
  var dead: any;
  // A variable, not require(a ? "tls" : "net"): esbuild would split that into two require() calls.
  var mod = t.tls ? "tls" : "net";
  var close = function () {
    h.onClose(err);
  };
  var fail = function (e: Error) {
    err = wrenError("NET", e.message);
  };
  var end = function () {
    if (s) s.end();
  };
  try {
    s = require(mod).connect(
      t.tls ? { host: t.host, port: t.port, ca: pemToDer(t.ca), cert: pemToDer(t.cert), key: pemToDer(t.key) } : t,
      h.onOpen.bind(h),
    );
    s.on("data", function (d: string) {
      // Espruino has no abortive close: after destroy() data may still come.
      if (!dead) h.onData(E.toUint8Array(d));
    });
    s.on("error", fail);
    s.on("close", close);
  } catch (e) {
    // connect() threw, so `s` stayed unset: write/end are no-ops.
    fail(e as Error);
    setTimeout(close);
  }
  return {
    write: function (b: Uint8Array) {
      if (s) s.write(E.toString(b));
    },
    end: end,
    destroy: function () {
      dead = 1;
      end();
    },
  };
}
