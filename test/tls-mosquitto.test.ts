/**
 * TLS against a real mosquitto with a TLS listener (certificates made with
 * openssl, test/support/certs.ts): the right CA connects and exchanges
 * CONNECT/CONNACK; a wrong CA, a wrong servername and a missing client
 * certificate are refused with a TLS_* code naming the problem; credentials
 * and key material never appear in an error or a log. Also the Espruino
 * transport's TLS path (PEM -> DER) over the stand-in.
 *
 * mosquitto or openssl missing: the tests fail (never skip).
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { inspect } from "node:util";
import type { Target, Transport } from "../src/hal/hal";
import { nodeTransport } from "../src/hal/node/transport";
import { espruinoTransport } from "../src/hal/espruino/transport";
import { makeCerts, type TestCerts } from "./support/certs";
import { startMosquitto, type Mosquitto } from "./support/mosquitto";
import { installEspruino } from "./support/espruino-standin";
import { recorder, until } from "./support/hal-rigs";

const CONNECT = [0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x00];
const CONNACK_OK = [0x20, 0x02, 0x00, 0x00];
const USER = "alice";
const PASSWORD = "pw-9f3K-zebra-quartz";

/** CONNECT with username + password (flags 0xC2), empty client id, keepalive 60. */
function connectWithAuth(): Uint8Array {
  const u = Buffer.from(USER);
  const p = Buffer.from(PASSWORD);
  const body = [0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0xc2, 0x00, 0x3c, 0x00, 0x00, 0, u.length, ...u, 0, p.length, ...p];
  return new Uint8Array([0x10, body.length, ...body]);
}

/** Open a connection, send `hello`, collect what comes back until close or `want` bytes. */
async function exchange(transport: Transport, target: Target, hello: Uint8Array, want = 4) {
  const r = recorder();
  const c = transport.connect(target, r.handler);
  await until(() => r.opened() || r.closed(), "open or close", 8000);
  if (r.opened() && !r.closed()) {
    c.write(hello);
    await until(() => r.bytes().length >= want || r.closed(), "reply or close", 8000);
  }
  if (!r.closed()) {
    c.end();
    await until(r.closed, "close", 8000);
  }
  return r;
}

/** Everything an error could show a person or a log. */
function everyRendering(e: unknown): string {
  const x = e as Error;
  return [String(x), x && x.message, x && x.stack, inspect(x, { depth: 5, showHidden: true }), JSON.stringify(x)].join("\n");
}

const t = suite("TLS with mosquitto");
let certs: TestCerts;
let broker: Mosquitto;
let mtls: Mosquitto;

t.before(async () => {
  certs = makeCerts();
  broker = await startMosquitto({ tls: { caFile: certs.caFile, certFile: certs.certFile, keyFile: certs.keyFile } });
  mtls = await startMosquitto({ tls: { caFile: certs.caFile, certFile: certs.certFile, keyFile: certs.keyFile, requireCertificate: true } });
});
t.after(async () => {
  if (broker) await broker.stop();
  if (mtls) await mtls.stop();
  if (certs) certs.cleanup();
});

const secrets = () => [PASSWORD, certs.clientKey.split("\n")[1], certs.key.split("\n")[1]];

t("right CA: handshake, CONNECT 10 0c ... -> CONNACK 20 02 00 00", async () => {
  const r = await exchange(nodeTransport(), { host: "127.0.0.1", port: broker.tlsPort!, tls: true, ca: certs.ca }, new Uint8Array(CONNECT));
  assert.is(r.events[0], "open");
  assert.equal(Array.from(r.bytes()), CONNACK_OK);
  assert.is(r.error(), undefined);
});

t("servername localhost (a name in the certificate) connects to 127.0.0.1", async () => {
  const r = await exchange(nodeTransport(), { host: "127.0.0.1", port: broker.tlsPort!, tls: true, ca: certs.ca, servername: "localhost" }, new Uint8Array(CONNECT));
  assert.equal(Array.from(r.bytes()), CONNACK_OK);
});

t("wrong CA: refused before any byte, one onClose(TLS_UNTRUSTED)", async () => {
  const r = await exchange(nodeTransport(), { host: "127.0.0.1", port: broker.tlsPort!, tls: true, ca: certs.wrongCa }, new Uint8Array(CONNECT));
  assert.equal(r.events, ["close:TLS_UNTRUSTED"]);
  assert.match(r.error()!.message, /^TLS_UNTRUSTED: /);
});

t("no CA given: the system roots do not trust a private CA either (rejectUnauthorized defaults to true)", async () => {
  const r = await exchange(nodeTransport(), { host: "127.0.0.1", port: broker.tlsPort!, tls: true }, new Uint8Array(CONNECT));
  assert.equal(r.events, ["close:TLS_UNTRUSTED"]);
});

t("wrong servername: one onClose(TLS_HOSTNAME) naming the name", async () => {
  const r = await exchange(nodeTransport(), { host: "127.0.0.1", port: broker.tlsPort!, tls: true, ca: certs.ca, servername: "broker.example.org" }, new Uint8Array(CONNECT));
  assert.equal(r.events, ["close:TLS_HOSTNAME"]);
  assert.match(r.error()!.message, /broker\.example\.org/);
});

t("rejectUnauthorized: false is the explicit escape hatch (wrong CA connects)", async () => {
  const r = await exchange(nodeTransport(), { host: "127.0.0.1", port: broker.tlsPort!, tls: true, ca: certs.wrongCa, rejectUnauthorized: false }, new Uint8Array(CONNECT));
  assert.equal(Array.from(r.bytes()), CONNACK_OK);
});

t("client certificate: accepted with cert+key, refused without (no CONNACK, TLS_* error)", async () => {
  const ok = await exchange(
    nodeTransport(),
    { host: "127.0.0.1", port: mtls.tlsPort!, tls: true, ca: certs.ca, cert: certs.clientCert, key: certs.clientKey },
    new Uint8Array(CONNECT),
  );
  assert.equal(Array.from(ok.bytes()), CONNACK_OK);
  const no = await exchange(nodeTransport(), { host: "127.0.0.1", port: mtls.tlsPort!, tls: true, ca: certs.ca }, new Uint8Array(CONNECT));
  assert.equal(Array.from(no.bytes()), []);
  assert.is(no.closes(), 1);
  // TLS 1.3: the client may finish its side before the server's alert arrives.
  assert.match(String(no.error()!.code), /^TLS_HANDSHAKE$|^NET_RESET$/);
});

t("credentials and key material never appear in errors (every failure) or broker logs", async () => {
  // The client hands its whole options object to the transport as the Target.
  const base = { username: USER, password: PASSWORD, cert: certs.clientCert, key: certs.clientKey };
  const cases: (Target & typeof base)[] = [
    { ...base, host: "127.0.0.1", port: broker.tlsPort!, tls: true, ca: certs.wrongCa },
    { ...base, host: "127.0.0.1", port: broker.tlsPort!, tls: true, ca: certs.ca, servername: "nope.example" },
    { ...base, host: "127.0.0.1", port: mtls.tlsPort!, tls: true, ca: certs.ca, key: "-----BEGIN PRIVATE KEY-----\n" + PASSWORD + "\n-----END PRIVATE KEY-----\n" },
    { ...base, host: "127.0.0.1", port: 1, tls: true, ca: certs.ca },
  ];
  const errors: (Error & { code?: string })[] = [];
  for (const target of cases) {
    const r = await exchange(nodeTransport(), target, connectWithAuth());
    assert.ok(r.error(), "case fails: " + JSON.stringify(r.events));
    assert.match(String(r.error()!.code), /^(TLS|NET)_/);
    errors.push(r.error()!);
  }
  assert.is(errors[2].code, "TLS_CONFIG");
  // and one that succeeds, with credentials in the CONNECT
  const ok = await exchange(nodeTransport(), { ...base, host: "127.0.0.1", port: broker.tlsPort!, tls: true, ca: certs.ca }, connectWithAuth());
  assert.equal(Array.from(ok.bytes()), CONNACK_OK);
  for (const e of errors) for (const s of secrets()) assert.not.ok(everyRendering(e).includes(s), "secret leaked in " + e.message);
  for (const s of secrets()) {
    assert.not.ok(broker.logs().includes(s), "secret in broker log");
    assert.not.ok(mtls.logs().includes(s), "secret in mtls broker log");
  }
});

t("Espruino transport (stand-in): PEM options become DER, TLS CONNECT/CONNACK works", async () => {
  // tlsVerify: the stand-in checks the server against the DER CA we passed
  // (real firmware does not verify, see src/hal/espruino/transport.ts).
  const st = installEspruino({ chip: "ESP32", tlsVerify: true });
  try {
    const ok = await exchange(espruinoTransport(), { host: "127.0.0.1", port: broker.tlsPort!, tls: true, ca: certs.ca }, new Uint8Array(CONNECT));
    assert.equal(Array.from(ok.bytes()), CONNACK_OK);
    assert.is(st.net.sockets[0].tls, true);
    assert.match(st.net.sockets[0].options.ca, /^\x30\x82/); // DER: a SEQUENCE
    const bad = await exchange(espruinoTransport(), { host: "127.0.0.1", port: broker.tlsPort!, tls: true, ca: certs.wrongCa }, new Uint8Array(CONNECT));
    assert.equal(bad.events, ["close:NET"]);
    assert.match(bad.error()!.message, /SSL handshake failed/);
    const mutual = await exchange(
      espruinoTransport(),
      { host: "127.0.0.1", port: mtls.tlsPort!, tls: true, ca: certs.ca, cert: certs.clientCert, key: certs.clientKey },
      new Uint8Array(CONNECT),
    );
    assert.equal(Array.from(mutual.bytes()), CONNACK_OK);
    assert.equal(st.violations, []);
  } finally {
    st.uninstall();
  }
});

t.run();
