/**
 * Node transport: TCP (`net`) or TLS (`tls`) sockets behind the HAL
 * Connection contract. Node-only; never bundled for boards.
 */
import * as net from "node:net";
import * as tls from "node:tls";
import { wrenError, type WrenError } from "../../errors";
import type { Connection, Target, Transport, TransportHandler } from "../hal";

// OpenSSL verification results that mean "the peer's chain does not lead to a CA we trust".
const UNTRUSTED = [
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_SIGNATURE_FAILURE",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "INVALID_CA",
];

const NET: Record<string, string> = {
  ECONNREFUSED: "NET_REFUSED",
  ENOTFOUND: "NET_DNS",
  EAI_AGAIN: "NET_DNS",
  ECONNRESET: "NET_RESET",
  EPIPE: "NET_RESET",
  ETIMEDOUT: "NET_TIMEOUT",
  EHOSTUNREACH: "NET_UNREACHABLE",
  ENETUNREACH: "NET_UNREACHABLE",
  EADDRNOTAVAIL: "NET_UNREACHABLE",
};

/**
 * Map a Node socket/TLS error to a WrenError whose code names the problem:
 * TLS_UNTRUSTED (server chain not signed by the given CA), TLS_HOSTNAME
 * (certificate not valid for the servername), TLS_EXPIRED, TLS_CONFIG (our
 * CA/cert/key unusable; also every option error tls.connect throws),
 * TLS_HANDSHAKE (any other TLS failure, e.g. the
 * server rejected our client certificate), NET_* / NET for plain socket
 * errors. The message holds only codes and OpenSSL's reason text: never key
 * material or anything from the caller's options.
 */
export function mapNodeError(err: Error & { code?: string }, isTls: boolean): WrenError {
  const c = err.code || "";
  const why = c ? c + " (" + err.message + ")" : err.message;
  let code: string;
  if (UNTRUSTED.indexOf(c) >= 0) code = "TLS_UNTRUSTED";
  else if (c === "ERR_TLS_CERT_ALTNAME_INVALID" || c === "HOSTNAME_MISMATCH") code = "TLS_HOSTNAME";
  else if (c === "CERT_HAS_EXPIRED" || c === "CERT_NOT_YET_VALID") code = "TLS_EXPIRED";
  else if (/^ERR_OSSL_(PEM|X509|ASN1|DECODER)|^ERR_OSSL_.*KEY/.test(c)) code = "TLS_CONFIG";
  else if (NET[c]) code = NET[c];
  else if (isTls && (/^ERR_SSL_|^ERR_TLS_|^ERR_OSSL_/.test(c) || /SSL|TLS|certificate/i.test(err.message))) code = "TLS_HANDSHAKE";
  else if (isTls && c === "ECONNRESET") code = "NET_RESET";
  else code = "NET";
  return wrenError(code, why);
}

/**
 * A Transport over Node's `net`/`tls`. TLS verifies the server certificate
 * against `target.ca` (or Node's default roots) and the servername (defaults
 * to `target.host` when it is a name; for an IP address the certificate must
 * list that IP) unless `rejectUnauthorized === false`.
 */
export function nodeTransport(): Transport {
  return { connect: connectNode };
}

function connectNode(target: Target, handler: TransportHandler): Connection {
  const isTls = !!target.tls;
  let sock: net.Socket | undefined;
  let err: WrenError | undefined;
  let closed = false;

  const finish = () => {
    if (closed) return;
    closed = true;
    handler.onClose(err);
  };

  try {
    if (isTls) {
      const opts: tls.ConnectionOptions = {
        host: target.host,
        port: target.port,
        rejectUnauthorized: target.rejectUnauthorized !== false,
      };
      if (target.ca) opts.ca = target.ca;
      if (target.cert) opts.cert = target.cert;
      if (target.key) opts.key = target.key;
      // The certificate must be valid for `servername` (else the host). SNI
      // carries names only, never an IP address (RFC 6066 section 3).
      const name = target.servername || target.host;
      if (!net.isIP(name)) opts.servername = name;
      opts.checkServerIdentity = (_h, cert) => tls.checkServerIdentity(name, cert);
      sock = tls.connect(opts, () => {
        if (!closed) handler.onOpen();
      });
    } else {
      sock = net.connect({ host: target.host, port: target.port }, () => {
        if (!closed) handler.onOpen();
      });
    }
  } catch (e) {
    // Bad options (an unparsable PEM, a key not matching the certificate, an
    // invalid port) throw synchronously; the contract wants callbacks only
    // after connect returns.
    const x = e as Error & { code?: string };
    err = wrenError(isTls ? "TLS_CONFIG" : "NET_CONFIG", (x.code ? x.code + " (" + x.message + ")" : x.message));
    process.nextTick(finish);
    return { write() {}, end() {}, destroy() {} };
  }

  const s = sock;
  s.setNoDelay(true);
  // A Buffer is a Uint8Array: pass each chunk as is, no copy.
  s.on("data", (chunk: Buffer) => {
    if (!closed) handler.onData(chunk);
  });
  s.on("error", (e: Error) => {
    if (!err) err = mapNodeError(e, isTls);
  });
  s.on("close", finish);

  // Packets written in one tick go out in one writev (cork until the next
  // tick) rather than one send() each: under load that halves the CPU per
  // QoS 1/2 message, and noDelay still sends each tick's batch at once.
  let corked = false;
  const uncork = () => {
    corked = false;
    if (!s.destroyed) s.uncork();
  };
  return {
    write(bytes: Uint8Array) {
      if (closed || s.destroyed || !s.writable) return;
      if (!corked) {
        corked = true;
        s.cork();
        process.nextTick(uncork);
      }
      // Copy: the client reuses its output buffer as soon as write returns.
      s.write(Buffer.from(bytes));
    },
    end() {
      if (!closed) s.end();
    },
    destroy() {
      if (!closed) s.destroy();
    },
  };
}
