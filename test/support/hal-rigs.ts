/**
 * Test rigs: one "server side" abstraction over the different transports so
 * the same contract suite runs against each (test/hal-contract.test.ts).
 */
import * as net from "node:net";
import type { Target, Transport, TransportHandler } from "../../src/hal/hal";

export interface ServerSide {
  send(bytes: Uint8Array): void;
  /** Graceful close (FIN). */
  close(): void;
  /** Abortive close (RST). */
  cut(): void;
  /** Bytes received from the client so far. */
  received(): Uint8Array;
  /** Whether the client's close reached the server. */
  closed(): boolean;
}

export interface Rig {
  name: string;
  transport: Transport;
  target: Target;
  /**
   * Espruino reports socket errors by a negative number shared by "reset"
   * and "refused": its HAL gives one code, NET, with Espruino's message.
   */
  genericErrors?: { refused: RegExp; reset: RegExp };
  /** A target nobody listens on. */
  refusedTarget(): Promise<Target>;
  /** Wait for the next accepted connection. */
  accept(): Promise<ServerSide>;
  stop(): Promise<void>;
}

export function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (cond()) return resolve();
      if (Date.now() - t0 > ms) return reject(new Error("timeout waiting for " + what));
      setTimeout(poll, 2);
    };
    poll();
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function concat(chunks: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(chunks));
}

/** A TCP server on a free loopback port; each connection becomes a ServerSide. */
export async function tcpServer(): Promise<{ port: number; accept(): Promise<ServerSide>; stop(): Promise<void> }> {
  const queue: ServerSide[] = [];
  const waiters: ((s: ServerSide) => void)[] = [];
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((sock) => {
    sockets.add(sock);
    const got: Uint8Array[] = [];
    let closed = false;
    sock.on("data", (d: Buffer) => void got.push(d));
    sock.on("error", () => {});
    sock.on("close", () => {
      closed = true;
      sockets.delete(sock);
    });
    const side: ServerSide = {
      send: (b) => void sock.write(Buffer.from(b)),
      close: () => void sock.end(),
      cut: () => void sock.resetAndDestroy(),
      received: () => concat(got),
      closed: () => closed,
    };
    const w = waiters.shift();
    if (w) w(side);
    else queue.push(side);
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as net.AddressInfo).port;
  return {
    port,
    accept: () => {
      const s = queue.shift();
      return s ? Promise.resolve(s) : new Promise((r) => waiters.push(r));
    },
    stop: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}

/** A loopback port that refuses connections (bound then closed). */
export async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Records every handler callback in order. */
export function recorder() {
  const events: string[] = [];
  const data: Uint8Array[] = [];
  let error: (Error & { code?: string }) | undefined;
  let closes = 0;
  const handler: TransportHandler = {
    onOpen: () => void events.push("open"),
    onData: (c) => {
      if (!(c instanceof Uint8Array)) events.push("data-not-uint8array");
      events.push("data");
      data.push(c.slice());
    },
    onClose: (e) => {
      closes++;
      error = e as any;
      events.push(e ? "close:" + (e as any).code : "close");
    },
  };
  return {
    handler,
    events,
    bytes: () => concat(data),
    closes: () => closes,
    error: () => error,
    opened: () => events.indexOf("open") >= 0,
    closed: () => closes > 0,
  };
}

import { memoryNet } from "../../src/hal/memory/transport";
import { nodeTransport } from "../../src/hal/node/transport";

export async function nodeRig(): Promise<Rig> {
  const srv = await tcpServer();
  return {
    name: "node net",
    transport: nodeTransport(),
    target: { host: "127.0.0.1", port: srv.port },
    refusedTarget: async () => ({ host: "127.0.0.1", port: await closedPort() }),
    accept: srv.accept,
    stop: srv.stop,
  };
}

/** Memory transport on real timers, with small chunks and a little latency. */
export async function memoryRig(): Promise<Rig> {
  const mnet = memoryNet({ latency: 1, chunkSize: 7 });
  const queue: ServerSide[] = [];
  mnet.onConnect = (p) => {
    if (p.target.port === 1) return p.refuse();
    let closed = false;
    p.onClose = () => void (closed = true);
    queue.push({
      send: (b) => p.send(b),
      close: () => p.close(),
      cut: () => p.cut(),
      received: () => p.all(),
      closed: () => closed,
    });
  };
  return {
    name: "memory",
    transport: mnet.transport,
    target: { host: "broker", port: 1883 },
    refusedTarget: async () => ({ host: "broker", port: 1 }),
    accept: async () => {
      await until(() => queue.length > 0, "memory accept");
      return queue.shift()!;
    },
    stop: async () => {},
  };
}
