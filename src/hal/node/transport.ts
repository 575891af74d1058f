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

/**
 * One connection: an object with prototype methods, and socket listeners
 * shared by every connection (they find theirs through the socket), so an
 * idle connection holds no closures of its own.
 */
class NodeConnection implements Connection {
  h: TransportHandler;
  /** TLS */
  t: boolean;
  /** the socket (none when connect threw) */
  s: net.Socket | undefined;
  /** the first socket error, mapped */
  e: WrenError | undefined;
  /** onClose delivered: nothing else reaches the handler */
  x: boolean;
  /** corked until the next tick */
  k: boolean;
  constructor(h: TransportHandler, t: boolean) {
    this.h = h;
    this.t = t;
    this.s = undefined;
    this.e = undefined;
    this.x = false;
    this.k = false;
  }

  write(bytes: Uint8Array): void {
    const s = this.s;
    if (this.x || !s || s.destroyed || !s.writable) return;
    // Packets written in one tick go out in one writev (cork until the next
    // tick) rather than one send() each: under load that halves the CPU per
    // QoS 1/2 message, and noDelay still sends each tick's batch at once.
    if (!this.k) {
      this.k = true;
      s.cork();
      process.nextTick(uncork, this);
    }
    // Copy: the client reuses its output buffer as soon as write returns.
    s.write(Buffer.from(bytes));
  }

  end(): void {
    if (!this.x && this.s) this.s.end();
  }

  destroy(): void {
    if (!this.x && this.s) this.s.destroy();
  }
}

/** The socket's connection. */
const CONN = Symbol("wren");
type Owned = net.Socket & { [CONN]: NodeConnection };

function finish(k: NodeConnection): void {
  if (k.x) return;
  k.x = true;
  k.h.onClose(k.e);
}

function uncork(k: NodeConnection): void {
  k.k = false;
  if (!k.s!.destroyed) k.s!.uncork();
}

function onOpen(this: Owned): void {
  const k = this[CONN];
  if (!k.x) k.h.onOpen();
}

// A Buffer is a Uint8Array: pass each chunk as is, no copy.
function onData(this: Owned, chunk: Buffer): void {
  const k = this[CONN];
  if (!k.x) k.h.onData(chunk);
}

function onError(this: Owned, e: Error): void {
  const k = this[CONN];
  if (!k.e) k.e = mapNodeError(e, k.t);
}

function onClose(this: Owned): void {
  finish(this[CONN]);
}

function connectNode(target: Target, handler: TransportHandler): Connection {
  const isTls = !!target.tls;
  const k = new NodeConnection(handler, isTls);
  let sock: net.Socket;

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
      sock = tls.connect(opts, onOpen);
    } else {
      sock = net.connect({ host: target.host, port: target.port }, onOpen);
    }
  } catch (e) {
    // Bad options (an unparsable PEM, a key not matching the certificate, an
    // invalid port) throw synchronously; the contract wants callbacks only
    // after connect returns.
    const x = e as Error & { code?: string };
    k.e = wrenError(isTls ? "TLS_CONFIG" : "NET_CONFIG", (x.code ? x.code + " (" + x.message + ")" : x.message));
    process.nextTick(finish, k);
    return k;
  }

  const s = (k.s = sock);
  (s as Owned)[CONN] = k;
  s.setNoDelay(true);
  s.on("data", onData);
  s.on("error", onError);
  s.on("close", onClose);
  return k;
}
