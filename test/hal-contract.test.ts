/**
 * The HAL contract, run against every Transport and Storage that works here.
 * Transports: Node net (real loopback TCP), memory, Espruino HAL over the
 * Espruino stand-in (real TCP underneath). Storages: memory, file, Espruino
 * Storage stand-in.
 */
import { test, suite } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import fsMut from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import type { Storage } from "../src/hal/hal";
import { memoryStorage } from "../src/hal/memory/storage";
import { fileStorage } from "../src/hal/node/storage";
import { memoryRig, nodeRig, recorder, sleep, until, type Rig } from "./support/hal-rigs";
import { espruinoRig, espruinoStorage, uninstallAll } from "./support/espruino-rig";

const bytes = (...b: number[]) => new Uint8Array(b);
const seq = (n: number, seed = 0) => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 255;
  return out;
};

function transportSuite(makeRig: () => Promise<Rig>, label: string) {
  const t = suite("transport contract: " + label);
  let rig: Rig;
  t.before(async () => {
    rig = await makeRig();
  });
  t.after(async () => {
    await rig.stop();
  });

  t("open, data in order with exact bytes, one close; nothing before connect returns", async () => {
    const r = recorder();
    const conn = rig.transport.connect(rig.target, r.handler);
    assert.equal(r.events, [], "no callback inside connect");
    const srv = await rig.accept();
    await until(r.opened, "open");
    const payload = seq(5000);
    srv.send(payload.subarray(0, 1000));
    srv.send(payload.subarray(1000));
    await until(() => r.bytes().length >= 5000, "data");
    assert.equal(Array.from(r.bytes()), Array.from(payload));
    srv.close();
    await until(r.closed, "close");
    await sleep(20);
    assert.is(r.events[0], "open");
    assert.is(r.events[r.events.length - 1], "close");
    assert.ok(r.events.slice(1, -1).every((e) => e === "data"), r.events.join());
    assert.is(r.closes(), 1);
    assert.is(r.error(), undefined);
    conn.write(bytes(1)); // after close: ignored, no throw
    conn.end();
    conn.destroy();
    await sleep(20);
    assert.is(r.closes(), 1);
  });

  t("client write reaches the server exactly; write copies the buffer", async () => {
    const r = recorder();
    const conn = rig.transport.connect(rig.target, r.handler);
    const srv = await rig.accept();
    await until(r.opened, "open");
    const buf = new Uint8Array(4);
    const expected: number[] = [];
    for (let i = 0; i < 50; i++) {
      // The client reuses one output buffer: each write must take a snapshot.
      buf[0] = i;
      buf[1] = 255 - i;
      buf[2] = 0;
      buf[3] = 0x80;
      conn.write(buf);
      expected.push(i, 255 - i, 0, 0x80);
      buf.fill(0xee);
    }
    const big = seq(3000, 7);
    conn.write(big);
    big.fill(0);
    for (const b of seq(3000, 7)) expected.push(b);
    await until(() => srv.received().length >= expected.length, "server bytes");
    assert.equal(Array.from(srv.received()), expected);
    conn.destroy();
    await until(r.closed, "close");
  });

  t("a write before onOpen is queued and copied (the caller's buffer is reused at once)", async () => {
    const r = recorder();
    const conn = rig.transport.connect(rig.target, r.handler);
    const buf = new Uint8Array([0x10, 0x20, 0x30]);
    conn.write(buf); // still connecting: the transport must keep a copy
    buf.fill(0xee);
    const srv = await rig.accept();
    await until(() => srv.received().length >= 3, "server bytes");
    assert.equal(Array.from(srv.received()), [0x10, 0x20, 0x30]);
    conn.destroy();
    await until(r.closed, "close");
  });

  t("end(): written bytes are flushed, then onClose() without error, server sees close", async () => {
    const r = recorder();
    const conn = rig.transport.connect(rig.target, r.handler);
    const srv = await rig.accept();
    await until(r.opened, "open");
    conn.write(bytes(0xe0, 0x00)); // DISCONNECT
    conn.end();
    conn.write(bytes(1, 2, 3)); // after end: ignored
    await until(r.closed, "close");
    await until(srv.closed, "server sees close");
    assert.equal(Array.from(srv.received()), [0xe0, 0x00]);
    assert.equal(r.events, ["open", "close"]);
  });

  t("destroy(): onClose() once, asynchronously, without error; no data after", async () => {
    const r = recorder();
    const conn = rig.transport.connect(rig.target, r.handler);
    const srv = await rig.accept();
    await until(r.opened, "open");
    conn.destroy();
    assert.equal(r.events, ["open"], "onClose is not synchronous inside destroy");
    srv.send(bytes(1, 2, 3));
    await until(r.closed, "close");
    conn.destroy();
    await sleep(30);
    assert.equal(r.events, ["open", "close"]);
  });

  t("callbacks are called as methods of the handler (this = handler): off a board the client's handler finds its client through `this`", async () => {
    const seen: string[] = [];
    const h = {
      onOpen(this: unknown) {
        seen.push("open " + (this === h));
      },
      onData(this: unknown) {
        if (seen[seen.length - 1] !== "data true") seen.push("data " + (this === h));
      },
      onClose(this: unknown) {
        seen.push("close " + (this === h));
      },
    };
    rig.transport.connect(rig.target, h);
    const srv = await rig.accept();
    await until(() => seen.length >= 1, "open");
    srv.send(bytes(1, 2));
    await until(() => seen.length >= 2, "data");
    srv.close();
    await until(() => seen.length >= 3, "close");
    assert.equal(seen, ["open true", "data true", "close true"]);
    // and a connect that fails
    const f: string[] = [];
    const g = { onOpen() {}, onData() {}, onClose(this: unknown) { f.push("close " + (this === g)); } };
    rig.transport.connect(await rig.refusedTarget(), g);
    await until(() => f.length > 0, "refused close");
    assert.equal(f, ["close true"]);
  });

  t("connect refused: onClose(err) alone, once, code NET_REFUSED", async () => {
    const r = recorder();
    rig.transport.connect(await rig.refusedTarget(), r.handler);
    assert.equal(r.events, []);
    await until(r.closed, "close");
    await sleep(30);
    if (rig.genericErrors) {
      assert.equal(r.events, ["close:NET"]);
      assert.match(r.error()!.message, rig.genericErrors.refused);
    } else assert.equal(r.events, ["close:NET_REFUSED"]);
    assert.instance(r.error(), Error);
  });

  t("reset by the server: error folded into one onClose(err)", async () => {
    const r = recorder();
    rig.transport.connect(rig.target, r.handler);
    const srv = await rig.accept();
    await until(r.opened, "open");
    srv.cut();
    await until(r.closed, "close");
    await sleep(30);
    assert.is(r.closes(), 1);
    if (rig.genericErrors) {
      assert.equal(r.events, ["open", "close:NET"]);
      assert.match(r.error()!.message, rig.genericErrors.reset);
    } else assert.equal(r.events, ["open", "close:NET_RESET"]);
    assert.instance(r.error(), Error);
  });

  t.run();
}

function storageSuite(make: () => Storage, label: string, done?: () => void) {
  const t = suite("storage contract: " + label);
  if (done) t.after(done);
  t("read of a missing record is undefined; erase of a missing record is a no-op", () => {
    const s = make();
    assert.is(s.read("nothing"), undefined);
    s.erase("nothing");
    assert.is(s.read("nothing"), undefined);
  });
  t("write/read round-trips all 256 byte values exactly; records are snapshots", () => {
    const s = make();
    const all = new Uint8Array(256);
    for (let i = 0; i < 256; i++) all[i] = i;
    s.write("wren.sess", all);
    all[0] = 77; // mutating after write does not change the record
    const back = s.read("wren.sess")!;
    assert.instance(back, Uint8Array);
    assert.is(back.length, 256);
    for (let i = 0; i < 256; i++) assert.is(back[i], i, "byte " + i);
    back[5] = 0; // nor does mutating what read returned
    assert.is(s.read("wren.sess")![5], 5);
  });
  t("write replaces the whole record (longer, then shorter)", () => {
    const s = make();
    s.write("r", bytes(1, 2, 3));
    s.write("r", seq(600));
    assert.equal(Array.from(s.read("r")!), Array.from(seq(600)));
    s.write("r", bytes(9));
    assert.equal(Array.from(s.read("r")!), [9]);
  });
  t("records are independent; erase removes one", () => {
    const s = make();
    s.write("a", bytes(1));
    s.write("b", bytes(2, 2));
    s.erase("a");
    assert.is(s.read("a"), undefined);
    assert.equal(Array.from(s.read("b")!), [2, 2]);
    s.write("a", bytes(3));
    assert.equal(Array.from(s.read("a")!), [3]);
  });
  t("a 24-character name works", () => {
    const s = make();
    const name = "wren.abcdefghijklmnopqrs";
    assert.is(name.length, 24);
    s.write(name, bytes(4, 5));
    assert.equal(Array.from(s.read(name)!), [4, 5]);
  });
  t.run();
}

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), "wren-storage-"));
let n = 0;

transportSuite(nodeRig, "node net");
transportSuite(memoryRig, "memory");
transportSuite(espruinoRig, "espruino over stand-in");

storageSuite(() => memoryStorage(), "memory");
storageSuite(() => fileStorage(path.join(tmpRoot, String(n++))), "file");
storageSuite(() => espruinoStorage(), "espruino Storage stand-in", uninstallAll);

const fsTest = suite("fileStorage specifics");
fsTest("a failed replace leaves the old record whole (temp file + rename)", () => {
  const dir = path.join(tmpRoot, "atomic");
  const s = fileStorage(dir);
  s.write("sess", bytes(1, 2, 3));
  // Make the rename (the commit point) fail, as a crash there would.
  const orig = fsMut.renameSync;
  fsMut.renameSync = () => {
    throw Object.assign(new Error("simulated crash"), { code: "EIO" });
  };
  syncBuiltinESMExports();
  try {
    assert.throws(() => s.write("sess", seq(100)));
  } finally {
    fsMut.renameSync = orig;
    syncBuiltinESMExports();
  }
  assert.equal(Array.from(s.read("sess")!), [1, 2, 3]);
  // No temp file is left behind, and a stray one would not be read as a record.
  assert.equal(fs.readdirSync(dir), ["sess"]);
  fs.writeFileSync(path.join(dir, "sess.tmp-1-1"), "junk");
  assert.equal(Array.from(s.read("sess")!), [1, 2, 3]);
});
fsTest("names are checked and escaped (no path traversal)", () => {
  const dir = path.join(tmpRoot, "names");
  const s = fileStorage(dir);
  s.write("../x", bytes(1));
  assert.equal(Array.from(s.read("../x")!), [1]);
  assert.ok(fs.readdirSync(dir).length === 1 && !fs.existsSync(path.join(tmpRoot, "x")));
  assert.throws(() => s.write("", bytes(1)), (e: any) => e.code === "STORAGE_NAME");
  assert.throws(() => s.write("x".repeat(25), bytes(1)), (e: any) => e.code === "STORAGE_NAME");
});
fsTest.after(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));
fsTest.run();
void test;
