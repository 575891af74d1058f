/**
 * A measurement, not a client: about the smallest code this project could write for
 * the `core` profile's feature list. Everything of scripts/size-floor/tiny.ts
 * (CONNECT, framing, keepalive with a ping timeout, connect timeout,
 * reconnect with capped jittered backoff, subscriptions sent again, end(),
 * the Espruino socket and a client id from getSerial()), plus: QoS 0, 1 and
 * 2 both ways (PUBACK, PUBREC/PUBREL/PUBCOMP, incoming QoS 2 delivered once
 * until PUBREL), publish/subscribe/unsubscribe callbacks on completion, an
 * in-flight window, will and username/password, clean or persistent
 * sessions (unacknowledged PUBLISH resent with DUP, PUBREL resent; SUBSCRIBE
 * again when the session is new) and a bounded offline queue.
 *
 * The connection code repeats the tiny floor's on purpose: each floor is the
 * smallest code on its own, and one shared module measured 218 B more on the
 * tiny floor and 235 B more on this one.
 *
 * Left out on purpose, as in the tiny floor: every check of the caller's and
 * the broker's input, error events and codes, UTF-8 (strings taken as
 * ASCII), queue policies and drop reports (the oldest is dropped silently),
 * ack timeouts, routes, URL parsing. The project's rules forbid each of
 * those omissions, so this code never ships; `npm run size` builds it the way
 * it builds the bundles and prints its size, the floor under the core budget.
 */
declare function getSerial(): string;
// the shipped clients' own packet framing (no checks in it)
import { F, packet, u16 } from "../../src/tiny/packets";
function str(s: string) {
  return u16(s.length) + s;
}
/** Something awaiting its ack: `w` the packet type that answers it (4 PUBACK, 5 PUBREC, 7 PUBCOMP, 9 SUBACK, 11 UNSUBACK). */
interface Pending {
  w: number;
  id: number;
  p: string;
  cb?: () => void;
}
export function connect(o: any) {
  var sock: any,
    state = 0, // 0 stopped, 1 offline, 2 dialing, 3 connected
    buf = "",
    attempt = 0,
    timer: any,
    pinging: any,
    lastId = 0,
    ka = (o.keepalive == null ? 60 : o.keepalive) * 1e3,
    w = o.will,
    u = o.username != null,
    pw = u && o.password != null,
    hello = packet(
      16,
      str("MQTT") +
        F(4, (u ? 128 : 0) | (pw ? 64 : 0) | (w ? 4 | (w.qos << 3) | (w.retain ? 32 : 0) : 0) | (o.clean === false ? 0 : 2)) +
        u16(ka / 1e3) +
        str(o.clientId || ("wren" + getSerial()).replace(/[^0-9a-zA-Z]/g, "").substr(0, 23)) +
        (w ? str(w.topic) + str(w.payload) : "") +
        (u ? str(o.username) : "") +
        (pw ? str(o.password) : ""),
    ),
    subs: any = {},
    pending: Pending[] = [],
    queue: any[][] = [],
    got2: any = {}, // incoming QoS 2 ids until PUBREL
    me: any = {
      publish: function (t: string, m: string, opts?: any, cb?: any) {
        opts = opts || {};
        if (state < 3 || pending.length >= 8) {
          if (queue.push([t, m, opts, cb]) > 16) queue.shift();
        } else {
          var q = opts.qos | 0,
            id = q ? nextId() : 0,
            p = packet(48 | (q << 1) | (opts.retain ? 1 : 0), str(t) + (q ? u16(id) : "") + m);
          send(p);
          if (q) pending.push({ w: q == 1 ? 4 : 5, id: id, p: p, cb: cb });
          else if (cb) cb();
        }
        return me;
      },
      subscribe: function (f: string, qos?: number, cb?: any) {
        subs[f] = qos! | 0;
        if (state > 2) sub([f], cb);
        return me;
      },
      unsubscribe: function (f: string, cb?: any) {
        delete subs[f];
        if (state > 2) track(11, 162, str(f), cb);
        return me;
      },
      end: function () {
        if (state > 2) send("\xe0\0");
        drop(1);
        return me;
      },
    };
  function nextId() {
    return (lastId = (lastId % 65535) + 1);
  }
  /** Send a SUBSCRIBE (9) or UNSUBSCRIBE (11) and keep it until its ack. */
  function track(w: number, head: number, body: string, cb?: any) {
    var id = nextId(),
      p = packet(head, u16(id) + body);
    send(p);
    pending.push({ w: w, id: id, p: p, cb: cb });
  }
  function sub(a: string[], cb?: any) {
    for (var b = "", i = 0; i < a.length; i++) b += str(a[i]) + F(subs[a[i]]);
    if (b) track(9, 130, b, cb);
  }
  function arm(ms: number) {
    clearTimeout(timer);
    timer = ms && setTimeout(tick, ms);
  }
  function send(s: string) {
    sock.write(s);
    arm(ka);
  }
  function tick() {
    if (state < 2) dial();
    else if (state < 3 || pinging) drop();
    else (pinging = 1), sock.write("\xc0\0"), arm(ka);
  }
  function dial() {
    state = 2;
    pinging = 0;
    arm(3e4);
    var s = (sock = require(o.tls ? "tls" : "net").connect({ host: o.host, port: o.port || (o.tls ? 8883 : 1883) }, function () {
      if (s == sock) send(hello);
    }));
    s.on("data", function (d: string) {
      if (s == sock) receive(d);
    });
    s.on("close", function () {
      if (s == sock) drop();
    });
  }
  function drop(stop?: any) {
    var s = sock,
      r = o.reconnect || {};
    sock = 0;
    buf = "";
    state = stop ? 0 : 1;
    arm(stop ? 0 : Math.min(r.max || 6e4, (r.min || 1e3) * Math.pow(2, attempt++)) * Math.random() + 1);
    if (s) s.end(), me.emit("close");
  }
  /** Publishes queued while offline or over the window, in order. */
  function flush() {
    while (queue.length && state > 2 && pending.length < 8) me.publish.apply(me, queue.shift());
  }
  function receive(d: string) {
    for (var b = (buf += d), j: number, n: number, m: number, x: number, h: number, id: number, e: Pending, i: number, p: string; sock; ) {
      for (j = 1, n = 0, m = 1; (n += ((x = b.charCodeAt(j++)) & 127) * m), x > 127; m *= 128);
      if (j + n > b.length) return;
      h = b.charCodeAt(0);
      x = h >> 4;
      p = b.substr(j, n);
      b = buf = b.substr(j + n);
      pinging = 0;
      id = (p.charCodeAt(0) << 8) | p.charCodeAt(1);
      if (x == 2) {
        if (p.charCodeAt(1)) return drop();
        state = 3;
        attempt = 0;
        // a session kept: unacknowledged PUBLISH again with DUP, PUBREL again [MQTT-4.4.0-1]
        for (i = 0; i < pending.length; i++) {
          e = pending[i];
          send(e.w == 7 ? "\x62\x02" + u16(e.id) : e.w < 6 ? F(e.p.charCodeAt(0) | 8) + e.p.substr(1) : e.p);
        }
        if (!(p.charCodeAt(0) & 1)) sub(Object.keys(subs));
        flush();
        me.emit("connect");
      } else if (x == 3) {
        m = (h >> 1) & 3;
        j = (p.charCodeAt(0) << 8) | p.charCodeAt(1);
        id = (p.charCodeAt(j + 2) << 8) | p.charCodeAt(j + 3);
        if (m < 2 || !got2[id]) me.emit("message", p.substr(2, j), p.substr(m ? j + 4 : j + 2));
        if (m == 2) got2[id] = 1;
        if (m) send(F(m == 1 ? 64 : 80, 2) + u16(id));
      } else if (x == 6) {
        delete got2[id];
        send("\x70\x02" + u16(id));
      } else {
        // PUBACK, PUBREC, PUBCOMP, SUBACK, UNSUBACK: the entry it answers
        for (i = 0; i < pending.length; i++) {
          e = pending[i];
          if (e.id == id && e.w == x) {
            if (x == 5) (e.w = 7), send("\x62\x02" + u16(id));
            else pending.splice(i, 1), e.cb && e.cb(), flush();
            break;
          }
        }
      }
    }
  }
  dial();
  return me;
}
