/**
 * An in-memory network: the client side is a normal Transport/Connection,
 * the other end ("peer") is driven by the test or simulator. Every delivery
 * is asynchronous and goes through a Clock (a virtual clock makes it fully
 * deterministic: `clock.advance(0)` delivers everything with zero latency),
 * and each direction is FIFO, like a TCP stream.
 */
import { wrenError } from "../../errors";
import type { Clock, Connection, Target, Transport, TransportHandler } from "../hal";

export interface MemoryNetOptions {
  /** Schedules deliveries. Default: real timers (setTimeout). */
  clock?: Clock;
  /** One-way latency in ms for every delivery (default 0). Per peer: `peer.latency`. */
  latency?: number;
  /** Accept connections at once (default true); false leaves them connecting until `peer.accept()`. */
  autoAccept?: boolean;
  /** Largest chunk delivered to the client (default: each `send` is one chunk). Per peer: `peer.chunkSize`. */
  chunkSize?: number;
}

/** The server side of one connection attempt. */
export interface MemoryPeer {
  readonly id: number;
  readonly target: Target;
  /** Server's view: "connecting" until accepted, "closed" once either side closed it. */
  readonly state: "connecting" | "open" | "closed";
  /** The client called end() / destroy(). */
  readonly clientEnded: boolean;
  readonly clientDestroyed: boolean;
  /** Silently dropping everything (half-open), see drop(). */
  readonly dropped: boolean;
  latency: number;
  chunkSize: number;

  /** Bytes the client wrote (counted at write time, including bytes later dropped). */
  readonly written: number;
  /** Number of client write() calls. */
  readonly writes: number;
  /** Bytes that reached the server / the client. */
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Bytes lost to drop() or cut(). */
  readonly bytesLost: number;

  /** Called as client bytes arrive (a copy; keep it if you like). */
  onData?: (bytes: Uint8Array) => void;
  /** Called when the client's end ("end") or destroy ("destroy") reaches the server. */
  onClose?: (how: "end" | "destroy") => void;

  /** Accept a connecting attempt: the client's onOpen follows after latency. */
  accept(): void;
  /** Refuse a connecting attempt: the client gets onClose(err), default NET_REFUSED. */
  refuse(err?: Error): void;
  /** Send bytes to the client, split into chunks of at most `chunkSize`. */
  send(bytes: Uint8Array | ArrayLike<number>): void;
  /** Graceful close (FIN): the client gets onClose() after the data already sent. */
  close(): void;
  /** Reset: data in flight is lost, the client gets onClose(err), default NET_RESET. */
  cut(err?: Error): void;
  /**
   * Half-open: from now on everything in flight or sent either way is lost
   * and no close ever reaches the client (a dead NAT entry, a router gone):
   * only the client's own keepalive timeout can notice.
   */
  drop(): void;
  /** Client bytes received since the last take(), concatenated. */
  take(): Uint8Array;
  /** All client bytes received so far, concatenated. */
  all(): Uint8Array;
}

export interface MemoryNet {
  readonly transport: Transport;
  /** Every connection attempt, oldest first. */
  readonly peers: MemoryPeer[];
  /** The newest connection attempt. */
  last(): MemoryPeer | undefined;
  /** Called synchronously inside transport.connect, before auto-accept (it may refuse, send, ...). */
  onConnect?: (peer: MemoryPeer) => void;
  latency: number;
  chunkSize: number;
  autoAccept: boolean;
  /** Totals over all peers: bytes delivered client->server and server->client. */
  readonly bytesUp: number;
  readonly bytesDown: number;
}

const realClock: Clock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** One direction of a stream: deliveries run in push order, each no earlier than its due time. */
class Pipe {
  private _q: { due: number; fn: () => void }[] = [];
  private _armed = false;
  private _last = -Infinity;
  constructor(private _clock: Clock) {}
  push(fn: () => void, delay: number): void {
    let due = this._clock.now() + (delay > 0 ? delay : 0);
    if (due < this._last) due = this._last;
    this._last = due;
    this._q.push({ due, fn });
    if (!this._armed) this._arm();
  }
  private _arm(): void {
    this._armed = true;
    const d = this._q[0].due - this._clock.now();
    this._clock.setTimer(() => this._pump(), d > 0 ? d : 0);
  }
  private _pump(): void {
    this._armed = false;
    // The head is due (its timer fired); then everything else already due.
    let first = true;
    while (this._q.length && (first || this._q[0].due <= this._clock.now())) {
      first = false;
      this._q.shift()!.fn();
    }
    if (this._q.length && !this._armed) this._arm();
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  n = 0;
  for (const c of chunks) {
    out.set(c, n);
    n += c.length;
  }
  return out;
}

export function memoryNet(opts: MemoryNetOptions = {}): MemoryNet {
  const clock = opts.clock || realClock;
  const net: MemoryNet & { bytesUp: number; bytesDown: number } = {
    peers: [],
    latency: opts.latency || 0,
    chunkSize: opts.chunkSize || Infinity,
    autoAccept: opts.autoAccept !== false,
    bytesUp: 0,
    bytesDown: 0,
    last: () => net.peers[net.peers.length - 1],
    transport: { connect },
  };

  function connect(target: Target, handler: TransportHandler): Connection {
    const down = new Pipe(clock); // server -> client
    const up = new Pipe(clock); // client -> server
    let clientOpen = false;
    let clientClosed = false; // onClose delivered (or about to be): nothing else reaches the handler
    let clientDone = false; // end() or destroy() called: writes ignored
    let cutting = false;
    let destroying = false;
    let inbox: Uint8Array[] = [];
    const everything: Uint8Array[] = [];
    const pendingWrites: Uint8Array[] = [];

    const closeClient = (err?: Error) => {
      if (clientClosed) return;
      clientClosed = true;
      handler.onClose(err);
    };
    const lose = (n: number) => {
      peer.bytesLost += n;
    };
    const toServer = (bytes: Uint8Array) => {
      up.push(() => {
        if (peer.dropped || peer.state === "closed") return lose(bytes.length);
        peer.bytesIn += bytes.length;
        net.bytesUp += bytes.length;
        inbox.push(bytes);
        everything.push(bytes);
        if (peer.onData) peer.onData(bytes);
      }, peer.latency);
    };
    const serverSees = (how: "end" | "destroy") => {
      up.push(() => {
        if (peer.dropped || peer.state === "closed") return;
        peer.state = "closed";
        if (peer.onClose) peer.onClose(how);
        // A graceful end is answered with the server's FIN: the client's close completes.
        if (how === "end") down.push(() => destroying || closeClient(), peer.latency);
      }, peer.latency);
    };

    const peer = {
      id: net.peers.length,
      target,
      state: "connecting" as MemoryPeer["state"],
      clientEnded: false,
      clientDestroyed: false,
      dropped: false,
      latency: net.latency,
      chunkSize: net.chunkSize,
      written: 0,
      writes: 0,
      bytesIn: 0,
      bytesOut: 0,
      bytesLost: 0,
      onData: undefined as MemoryPeer["onData"],
      onClose: undefined as MemoryPeer["onClose"],
      accept() {
        if (peer.state !== "connecting") return;
        peer.state = "open";
        down.push(() => {
          if (clientClosed || destroying || peer.dropped) return;
          clientOpen = true;
          handler.onOpen();
        }, peer.latency);
        for (const b of pendingWrites.splice(0)) toServer(b);
        if (clientDone) serverSees(peer.clientDestroyed ? "destroy" : "end");
      },
      refuse(err?: Error) {
        if (peer.state !== "connecting") return;
        peer.state = "closed";
        down.push(() => destroying || closeClient(err || wrenError("NET_REFUSED", "memory")), peer.latency);
      },
      send(data: Uint8Array | ArrayLike<number>) {
        if (peer.state !== "open" || peer.dropped) {
          lose(data.length);
          return;
        }
        const bytes = Uint8Array.from(data as ArrayLike<number>);
        const size = peer.chunkSize > 0 ? peer.chunkSize : Infinity;
        for (let i = 0; i < bytes.length || i === 0; i += size) {
          const chunk = bytes.slice(i, Math.min(bytes.length, i + size));
          if (!chunk.length) break;
          down.push(() => {
            if (clientClosed || destroying || cutting || peer.dropped || !clientOpen) return lose(chunk.length);
            peer.bytesOut += chunk.length;
            net.bytesDown += chunk.length;
            handler.onData(chunk);
          }, peer.latency);
        }
      },
      close() {
        if (peer.state === "closed" || peer.dropped) return;
        peer.state = "closed";
        down.push(() => destroying || closeClient(), peer.latency);
      },
      cut(err?: Error) {
        if (peer.state === "closed" && clientClosed) return;
        peer.state = "closed";
        cutting = true;
        down.push(() => destroying || closeClient(err || wrenError("NET_RESET", "memory")), peer.latency);
      },
      drop() {
        peer.dropped = true;
      },
      take() {
        const out = concat(inbox);
        inbox = [];
        return out;
      },
      all: () => concat(everything),
    };
    net.peers.push(peer);
    if (net.onConnect) net.onConnect(peer);
    if (net.autoAccept && peer.state === "connecting") peer.accept();

    return {
      write(bytes: Uint8Array) {
        if (clientDone || clientClosed) return;
        // Copy: the caller may reuse its buffer when write returns.
        const copy = bytes.slice();
        peer.writes++;
        peer.written += copy.length;
        if (peer.dropped) return lose(copy.length);
        if (peer.state === "connecting") pendingWrites.push(copy);
        else toServer(copy);
      },
      end() {
        if (clientDone || clientClosed) return;
        clientDone = true;
        peer.clientEnded = true;
        if (peer.state === "open") serverSees("end");
        // Never accepted (or already closed by the server): nothing to flush.
        else if (peer.state === "closed" && !peer.dropped) down.push(() => closeClient(), 0);
      },
      destroy() {
        if (clientClosed) return;
        const wasDone = clientDone;
        clientDone = true;
        peer.clientDestroyed = true;
        if (peer.state === "open" && !wasDone) serverSees("destroy");
        // Local: the close is immediate (next tick) and error-free, whatever
        // is still in flight (Node emits nothing but 'close' after destroy()).
        destroying = true;
        clock.setTimer(() => closeClient(), 0);
      },
    };
  }
  return net;
}
