/**
 * An in-process aedes broker (MQTT 3.1.1 only) on a free loopback port.
 * Sessions live in aedes' in-memory persistence, so they survive client
 * reconnects (not `stop()`).
 */
import { createServer, Server, Socket } from "node:net";

export interface AedesOptions {
  /** Return true to accept; a number 2..5 refuses with that CONNACK return code. */
  authenticate?: (clientId: string, username: string | undefined, password: Buffer | undefined) => boolean | number;
  /** Passed through to Aedes.createBroker (e.g. heartbeatInterval). */
  brokerOptions?: Record<string, unknown>;
}

export interface AedesBroker {
  host: string;
  port: number;
  url: string;
  // The aedes instance, for tests that publish or watch events directly.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  broker: any;
  /** Sockets currently open on the broker side. */
  sockets: Set<Socket>;
  stop(): Promise<void>;
}

export async function startAedes(opts: AedesOptions = {}): Promise<AedesBroker> {
  const { Aedes } = await import("aedes");
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const bopts: any = { heartbeatInterval: 3600000, ...(opts.brokerOptions || {}) };
  if (opts.authenticate) {
    const auth = opts.authenticate;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    bopts.authenticate = (client: any, username: string | undefined, password: Buffer | undefined, cb: any) => {
      const r = auth(client.id, username, password);
      if (r === true) return cb(null, true);
      if (r === false) return cb(null, false);
      const err = new Error("refused") as Error & { returnCode: number };
      err.returnCode = r;
      cb(err, false);
    };
  }
  const broker = await Aedes.createBroker(bopts);
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    broker.handle(s);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    host: "127.0.0.1",
    port,
    url: "mqtt://127.0.0.1:" + port,
    broker,
    sockets,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => broker.close(() => r()));
    },
  };
}
