/**
 * A real mosquitto broker for tests and benches: one process per call, on a
 * free loopback port, with a generated config in a temp dir.
 *
 * Persistence across a crash (checked against mosquitto 2.0): mosquitto keeps
 * its session state (subscriptions, queued and in-flight QoS 1/2 messages,
 * incoming QoS 2 ids awaiting PUBREL) in memory and writes the whole database
 * only at `autosave_interval` and on a clean shutdown. A SIGKILL therefore
 * loses whatever changed since the last autosave, by design (it never fsyncs
 * per message): messages it already PUBACKed can vanish. Measured with
 * `autosave_on_changes true` (save after every change) and a SIGKILL in the
 * middle of 1,000 QoS 2 messages: 1 lost and 1 duplicated, because the save
 * runs after the acks of a loop iteration went out. `restart()` thus
 * stops with SIGTERM (the broker saves its database, then exits) and starts
 * again on the same port with the same database; `kill()` is the SIGKILL
 * variant for tests that accept loss up to the last autosave.
 *
 * A missing binary throws (with CI=true and without): a broker test must fail,
 * never skip silently.
 */
import { spawn, spawnSync, ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { createServer, connect as netConnect } from "node:net";

export interface MosquittoOptions {
  /** Adds a TLS listener (PEM file paths). */
  tls?: { caFile: string; certFile: string; keyFile: string; requireCertificate?: boolean };
  /** Username/password pairs; turns anonymous access off. */
  auth?: { users: { [name: string]: string } };
  /** Keep sessions in a database file across `restart()`. */
  persistence?: boolean;
  /** `$SYS` publish interval in seconds (mosquitto default 10). */
  sysInterval?: number;
  /**
   * Save the database after every change instead of every second: narrows
   * (does not close) the SIGKILL loss window, at a large throughput cost.
   */
  autosaveOnChanges?: boolean;
  /** Log errors and warnings only (benches: no per-connection lines). */
  quiet?: boolean;
  /** Extra config lines appended verbatim. */
  extra?: string[];
}

export interface Mosquitto {
  host: string;
  port: number;
  tlsPort?: number;
  /** `mqtt://127.0.0.1:port` */
  url: string;
  /** Everything the broker logged so far (stdout + stderr). */
  logs(): string;
  /** SIGTERM and wait for exit; removes the temp dir. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit (state since the last autosave is lost). */
  kill(): Promise<void>;
  /** Start again on the same ports with the same database (after kill, or stops with SIGTERM first). */
  restart(): Promise<void>;
  /** Whether the process is running. */
  running(): boolean;
}

const BIN = process.env.MOSQUITTO_BIN || "mosquitto";

function which(bin: string): boolean {
  if (bin.indexOf("/") >= 0) return existsSync(bin);
  const r = spawnSync("sh", ["-c", "command -v " + bin], { encoding: "utf8" });
  if (r.status === 0 && r.stdout.trim()) return true;
  // Debian installs it in /usr/sbin, often missing from a user's PATH.
  return existsSync("/usr/sbin/" + bin);
}

function resolveBin(bin: string): string {
  const r = spawnSync("sh", ["-c", "command -v " + bin], { encoding: "utf8" });
  if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  if (existsSync("/usr/sbin/" + bin)) return "/usr/sbin/" + bin;
  return bin;
}

/** Throws with a clear message when mosquitto is not installed. */
export function requireMosquitto(): void {
  if (!which(BIN)) {
    throw new Error(
      "mosquitto binary not found (set MOSQUITTO_BIN or install it, e.g. apt-get install mosquitto)" +
        (process.env.CI === "true" ? " [CI=true: broker tests must not skip]" : "")
    );
  }
}

/** A port that was free a moment ago (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once `port` accepts a TCP connection, rejects after `ms`. */
export function waitForPort(port: number, ms: number, alive?: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (alive && !alive()) return reject(new Error("process exited before port " + port + " opened"));
      const s = netConnect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve();
      });
      s.once("error", () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error("port " + port + " not open after " + ms + " ms"));
        else setTimeout(attempt, 20);
      });
    };
    attempt();
  });
}

export async function startMosquitto(opts: MosquittoOptions = {}): Promise<Mosquitto> {
  requireMosquitto();
  const bin = resolveBin(BIN);
  const dir = mkdtempSync(join(tmpdir(), "wren-mosq-"));
  let log = "";
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let port = 0;
  let tlsPort: number | undefined;

  function writeConfig(): string {
    const lines: string[] = [
      // Keep running as the current user: as root mosquitto 2 would drop to
      // user "mosquitto", which cannot write our temp dir.
      "user " + userInfo().username,
      "per_listener_settings false",
      "log_dest stderr",
      "log_type error",
      "log_type warning",
      ...(opts.quiet ? ["connection_messages false"] : ["log_type notice", "log_type information", "connection_messages true"]),
      "log_timestamp true",
      "sys_interval " + (opts.sysInterval || 1),
      // mosquitto 2.0.11 stalls outgoing QoS 2 once its 20-message in-flight
      // quota was used: after the PUBCOMPs, queued messages are not sent
      // (inflight quota bugs fixed in 2.0.13). Unlimited in-flight avoids it.
      "max_inflight_messages 0",
      // Never drop queued messages of an offline persistent session in tests
      // (the default 1000 would cap the crash/stream tests). Not 0: in 2.0.x
      // 0 breaks QoS 0 delivery and QoS 2 publishers.
      "max_queued_messages 10000000",
      // Never drop queued messages of an offline persistent session in tests
      // (default 1000 would silently cap the crash/stream tests).
      "listener " + port + " 127.0.0.1",
    ];
    if (opts.auth) {
      const pw = join(dir, "passwd");
      let first = true;
      for (const name in opts.auth.users) {
        const args = first ? ["-b", "-c", pw, name, opts.auth.users[name]] : ["-b", pw, name, opts.auth.users[name]];
        first = false;
        const r = spawnSync("mosquitto_passwd", args, { encoding: "utf8" });
        if (r.status !== 0) throw new Error("mosquitto_passwd failed: " + r.stderr + r.stdout);
      }
      lines.push("allow_anonymous false", "password_file " + pw);
    } else {
      lines.push("allow_anonymous true");
    }
    if (opts.tls) {
      lines.push(
        "listener " + tlsPort + " 127.0.0.1",
        "cafile " + opts.tls.caFile,
        "certfile " + opts.tls.certFile,
        "keyfile " + opts.tls.keyFile,
        "require_certificate " + (opts.tls.requireCertificate ? "true" : "false")
      );
    }
    if (opts.persistence) {
      lines.push(
        "persistence true",
        "persistence_location " + dir + "/",
        "persistence_file mosquitto.db",
        "autosave_interval 1"
      );
      if (opts.autosaveOnChanges) lines.push("autosave_on_changes true");
    }
    if (opts.extra) lines.push(...opts.extra);
    const conf = join(dir, "mosquitto.conf");
    writeFileSync(conf, lines.join("\n") + "\n");
    return conf;
  }

  async function launch(): Promise<void> {
    const conf = writeConfig();
    const c = spawn(bin, ["-c", conf], { stdio: ["ignore", "pipe", "pipe"] });
    child = c;
    let alive = true;
    exited = new Promise((resolve) => {
      c.once("exit", () => {
        alive = false;
        resolve();
      });
    });
    c.once("error", (e) => {
      log += "spawn error: " + e.message + "\n";
    });
    c.stdout!.on("data", (d) => (log += d));
    c.stderr!.on("data", (d) => (log += d));
    try {
      await waitForPort(port, 5000, () => alive);
      if (tlsPort) await waitForPort(tlsPort, 5000, () => alive);
    } catch (e) {
      c.kill("SIGKILL");
      await exited;
      throw e;
    }
  }

  // The free port can be taken between our probe and mosquitto's bind: retry.
  let lastErr: unknown;
  for (let i = 0; i < 5; i++) {
    port = await freePort();
    tlsPort = opts.tls ? await freePort() : undefined;
    try {
      await launch();
      lastErr = undefined;
      break;
    } catch (e) {
      lastErr = e;
    }
  }
  if (lastErr) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error("mosquitto did not start: " + (lastErr as Error).message + "\n" + log);
  }

  const running = () => !!child && child.exitCode === null && child.signalCode === null;
  async function signal(sig: NodeJS.Signals): Promise<void> {
    if (running()) {
      child!.kill(sig);
      await exited;
    }
  }
  const m: Mosquitto = {
    host: "127.0.0.1",
    port,
    tlsPort,
    url: "mqtt://127.0.0.1:" + port,
    logs: () => log,
    running,
    async stop() {
      await signal("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
    kill: () => signal("SIGKILL"),
    async restart() {
      await signal("SIGTERM");
      // Same ports: the listening socket has SO_REUSEADDR; retry briefly in
      // case a client raced onto the port (it is loopback-only).
      let err: unknown;
      for (let i = 0; i < 20; i++) {
        try {
          await launch();
          return;
        } catch (e) {
          err = e;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      throw new Error("mosquitto restart failed: " + (err as Error).message + "\n" + log);
    },
  };
  return m;
}

