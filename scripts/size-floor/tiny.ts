/**
 * A measurement, not a client: about the smallest code this project could write for
 * the `tiny` profile's feature list (MQTT 3.1.1 CONNECT with id, credentials
 * and keepalive; QoS 0 publish with retain; subscribe and unsubscribe, kept
 * and sent again on reconnect; framing of incoming packets of any length;
 * `connect`, `message` and `close` events; PINGREQ after `keepalive` s with
 * nothing sent and a drop when its answer is missing; a connect timeout;
 * reconnect with capped, jittered exponential backoff; end(); the Espruino
 * net/tls socket and a client id from getSerial()).
 *
 * Everything else is left out on purpose: no error event or codes (a refused
 * CONNACK is retried for ever), no check of a topic, filter or string (a
 * wildcard publish or a non-ASCII id breaks the session), no publish callback
 * (a publish while offline is dropped silently), no packet size limit, no
 * protocol checks. The project's rules forbid each of those omissions, so
 * this code never ships; `npm run size` builds it the way it builds the
 * bundles and prints its size, the floor under the tiny budget.
 */
declare function getSerial(): string;
// the shipped clients' own packet framing (no checks in it)
import { F, packet } from "../../src/tiny/packets";
function str(s: string) {
  return F(s.length >> 8, s.length & 255) + s;
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
    u = o.username != null,
    p = u && o.password != null,
    hello = packet(16, str("MQTT") + F(4, (u ? 128 : 0) | (p ? 64 : 0) | 2, ka / 256e3, (ka / 1e3) & 255) +
      str(o.clientId || ("wren" + getSerial()).replace(/[^0-9a-zA-Z]/g, "").substr(0, 23)) + (u ? str(o.username) : "") + (p ? str(o.password) : "")),
    subs: any = {},
    me: any = {
      publish: function (t: string, m: string, opts?: any) {
        if (state > 2) send(packet(48 | (opts && opts.retain), str(t) + m));
        return me;
      },
      subscribe: function (f: string) {
        subs[f] = 1;
        if (state > 2) sub([f]);
        return me;
      },
      unsubscribe: function (f: string) {
        delete subs[f];
        if (state > 2) send(packet(162, id() + str(f)));
        return me;
      },
      end: function () {
        if (state > 2) send("\xe0\0");
        drop(1);
        return me;
      },
    };
  function id() {
    lastId = (lastId % 65535) + 1;
    return F(lastId >> 8, lastId & 255);
  }
  function sub(a: string[]) {
    for (var b = "", i = 0; i < a.length; ) b += str(a[i++]) + "\0";
    if (b) send(packet(130, id() + b));
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
    var s = sock, r = o.reconnect || {};
    sock = 0;
    buf = "";
    state = stop ? 0 : 1;
    arm(stop ? 0 : Math.min(r.max || 6e4, (r.min || 1e3) * Math.pow(2, attempt++)) * Math.random() + 1);
    if (s) s.end(), me.emit("close");
  }
  function receive(d: string) {
    for (var b = (buf += d), j: number, n: number, m: number, x: number, p: string; sock; ) {
      for (j = 1, n = 0, m = 1; (n += ((x = b.charCodeAt(j++)) & 127) * m), x > 127; m *= 128);
      if (j + n > b.length) return;
      x = b.charCodeAt(0) >> 4;
      p = b.substr(j, n);
      b = buf = b.substr(j + n);
      pinging = 0;
      if (x == 2) {
        if (p.charCodeAt(1)) return drop();
        state = 3;
        attempt = 0;
        sub(Object.keys(subs));
        me.emit("connect");
      } else if (x == 3) {
        x = (p.charCodeAt(0) << 8) | p.charCodeAt(1);
        me.emit("message", p.substr(2, x), p.substr(2 + x));
      }
    }
  }
  dial();
  return me;
}
