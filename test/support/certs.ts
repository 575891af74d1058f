/**
 * Throwaway X.509 material for TLS tests, made with openssl into a temp dir:
 * a CA, a server certificate for 127.0.0.1 and localhost signed by it, a
 * client certificate signed by it, and an unrelated "wrong" CA. EC P-256
 * keys (fast to make). Files and PEM strings both.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface TestCerts {
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  wrongCaFile: string;
  /** PEM contents of the files above. */
  ca: string;
  cert: string;
  key: string;
  clientCert: string;
  clientKey: string;
  wrongCa: string;
  cleanup(): void;
}

export function hasOpenssl(): boolean {
  const r = spawnSync("openssl", ["version"], { encoding: "utf8" });
  return !r.error && r.status === 0;
}

export function makeCerts(): TestCerts {
  if (!hasOpenssl()) throw new Error("openssl not found: TLS tests need it (apt-get install openssl)");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wren-tls-"));
  const run = (...args: string[]) => {
    const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
    if (r.status !== 0) throw new Error("openssl " + args.join(" ") + " failed: " + r.stderr);
  };
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  fs.writeFileSync(path.join(dir, "ca.ext"), "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n");
  fs.writeFileSync(path.join(dir, "server.ext"), "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  fs.writeFileSync(path.join(dir, "client.ext"), "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
  for (const ca of ["ca", "wrong-ca"]) {
    run("req", "-x509", ...ec, "-days", "2", "-subj", "/CN=wren " + ca, "-keyout", ca + ".key", "-out", ca + ".crt", "-extensions", "v3_ca");
  }
  for (const [n, cn] of [["server", "localhost"], ["client", "wren-client"]]) {
    run("req", ...ec, "-subj", "/CN=" + cn, "-keyout", n + ".key", "-out", n + ".csr");
    run("x509", "-req", "-in", n + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", n + ".ext", "-out", n + ".crt");
  }
  const p = (f: string) => path.join(dir, f);
  const read = (f: string) => fs.readFileSync(p(f), "utf8");
  return {
    dir,
    caFile: p("ca.crt"),
    certFile: p("server.crt"),
    keyFile: p("server.key"),
    clientCertFile: p("client.crt"),
    clientKeyFile: p("client.key"),
    wrongCaFile: p("wrong-ca.crt"),
    ca: read("ca.crt"),
    cert: read("server.crt"),
    key: read("server.key"),
    clientCert: read("client.crt"),
    clientKey: read("client.key"),
    wrongCa: read("wrong-ca.crt"),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
