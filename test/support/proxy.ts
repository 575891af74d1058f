/**
 * A TCP proxy between a client and a broker, for fault tests. It can
 * - cut a connection after exactly N more bytes in one direction (mid-packet),
 * - delay every chunk (order kept),
 * - drop the link silently: stop forwarding both ways without closing either
 *   socket (a half-open link the client only notices through keepalive),
 * - blackhole new connections (accepted, never forwarded),
 * - count bytes both ways.
 *
 * "up" is client -> broker, "down" is broker -> client.
 */
import { createServer, connect as netConnect, Server, Socket } from "node:net";

export type Dir = "up" | "down";

export interface ProxyLink {
  id: number;
  client: Socket;
  upstream: Socket;
  /** Bytes forwarded client -> broker / broker -> client on this link. */
  up: number;
  down: number;
  dropped: boolean;
  closed: boolean;
}

export interface Proxy {
  host: string;
  port: number;
  url: string;
  /** Totals over all links, bytes actually forwarded. */
  bytesUp: number;
  bytesDown: number;
  /** Sees every chunk as it is forwarded (diagnostics). */
  tap?: (dir: Dir, link: ProxyLink, chunk: Buffer) => void;
  /** Links accepted so far. */
  accepted: number;
  links: ProxyLink[];
  /** Open links. */
  active(): ProxyLink[];
  /**
   * One-shot: forward exactly `n` more bytes in `dir` (over whichever link
   * carries them first), then destroy both sockets of that link. Resolves
   * when the cut happened.
   */
  cutAfter(n: number, dir?: Dir): Promise<ProxyLink>;
  /** Delay each chunk by `ms` from now on (0 = none). */
  setDelay(ms: number): void;
  /** Stop forwarding on every open link, both ways, without closing anything. */
  drop(): void;
  /** While on, new links are accepted and silently never forwarded. */
  blackhole(on: boolean): void;
  /** Destroy every open link (both sockets). */
  closeAll(): void;
  stop(): Promise<void>;
}

export async function startProxy(target: { host?: string; port: number }): Promise<Proxy> {
  const host = target.host || "127.0.0.1";
  let delay = 0;
  let hole = false;
  let cut: { n: number; dir: Dir; resolve: (l: ProxyLink) => void } | undefined;
  let nextId = 1;

  // eslint-disable-next-line prefer-const
  let p: Proxy;

  function destroyLink(l: ProxyLink) {
    l.closed = true;
    l.client.destroy();
    l.upstream.destroy();
  }

  function pipe(l: ProxyLink, dir: Dir) {
    const from = dir === "up" ? l.client : l.upstream;
    const to = dir === "up" ? l.upstream : l.client;
    // Delayed chunks wait in a FIFO drained by one timer so order is kept.
    const q: { at: number; chunk: Buffer }[] = [];
    let timer: NodeJS.Timeout | undefined;
    const forward = (chunk: Buffer) => {
      if (l.closed || l.dropped) return;
      if (cut && cut.dir === dir) {
        if (chunk.length >= cut.n) {
          const c = cut;
          cut = undefined;
          const head = chunk.subarray(0, c.n);
          count(head.length);
          if (p.tap) p.tap(dir, l, head);
          // Write the head, then cut once it is flushed to the kernel.
          to.write(head, () => {
            destroyLink(l);
            c.resolve(l);
          });
          l.closed = true;
          return;
        }
        cut.n -= chunk.length;
      }
      count(chunk.length);
      if (p.tap) p.tap(dir, l, chunk);
      to.write(chunk);
    };
    const count = (n: number) => {
      if (dir === "up") {
        l.up += n;
        p.bytesUp += n;
      } else {
        l.down += n;
        p.bytesDown += n;
      }
    };
    const drain = () => {
      timer = undefined;
      const now = Date.now();
      while (q.length && q[0].at <= now) forward(q.shift()!.chunk);
      if (q.length) timer = setTimeout(drain, q[0].at - now);
    };
    from.on("data", (chunk: Buffer) => {
      if (l.closed || l.dropped) return;
      if (delay > 0 || q.length) {
        q.push({ at: Date.now() + delay, chunk });
        if (!timer) timer = setTimeout(drain, Math.max(0, q[0].at - Date.now()));
      } else {
        forward(chunk);
      }
    });
    from.on("end", () => {
      if (!l.dropped) to.end();
    });
    from.on("close", () => {
      if (timer) clearTimeout(timer);
      if (!l.dropped) {
        l.closed = true;
        to.destroy();
      }
    });
    from.on("error", () => {});
  }

  const server: Server = createServer((client) => {
    client.setNoDelay(true);
    const upstream: Socket = hole ? new Socket() : netConnect(target.port, host);
    const l: ProxyLink = { id: nextId++, client, upstream, up: 0, down: 0, dropped: hole, closed: false };
    p.accepted++;
    p.links.push(l);
    if (hole) {
      // Read and discard: the client's CONNECT goes nowhere.
      client.on("data", () => {});
      client.on("error", () => {});
      client.on("close", () => (l.closed = true));
      return;
    }
    upstream.setNoDelay(true);
    client.pause();
    upstream.once("connect", () => client.resume());
    pipe(l, "up");
    pipe(l, "down");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as { port: number }).port;

  p = {
    host: "127.0.0.1",
    port,
    url: "mqtt://127.0.0.1:" + port,
    bytesUp: 0,
    bytesDown: 0,
    accepted: 0,
    links: [],
    active: () => p.links.filter((l) => !l.closed && !l.client.destroyed),
    cutAfter(n, dir = "down") {
      return new Promise((resolve) => {
        cut = { n, dir, resolve };
      });
    },
    setDelay(ms) {
      delay = ms;
    },
    drop() {
      for (const l of p.active()) l.dropped = true;
    },
    blackhole(on) {
      hole = on;
    },
    closeAll() {
      for (const l of p.links) destroyLink(l);
    },
    async stop() {
      hole = false;
      p.closeAll();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  return p;
}
