import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import * as net from "node:net";
import { fileURLToPath } from "node:url";
import { loadBoard } from "../scripts/lib/boards";
import { buildBoardBundle } from "../scripts/lib/bundle";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/**
 * A stand-in Espruino REPL on a loopback port: answers every line (and Ctrl-C)
 * with a `>` prompt, as the board's console does, and records what it got.
 */
function fakeEspruino(): Promise<{ port: number; received: () => string; close: () => void }> {
  let got = "";
  const sockets: net.Socket[] = [];
  const srv = net.createServer((s) => {
    sockets.push(s);
    s.on("data", (d) => {
      const t = d.toString("latin1");
      got += t;
      if (/[\n\x03]$/.test(t)) s.write("\r\n>");
    });
    s.on("error", () => {});
  });
  return new Promise((resolve) =>
    srv.listen(0, "127.0.0.1", () =>
      resolve({
        port: (srv.address() as net.AddressInfo).port,
        received: () => got,
        close: () => {
          for (const s of sockets) s.destroy();
          srv.close();
        },
      }),
    ),
  );
}

test("flash over tcp:// sends reset, the cached bundle and the app through the espruino tool's writer", async () => {
  const dev = await fakeEspruino();
  try {
    const code = await new Promise<number | null>((resolve) => {
      const p = spawn(process.execPath, ["--import", "tsx", "scripts/flash.ts", "--board", "esp32", "--profile", "tiny", "--port", `tcp://127.0.0.1:${dev.port}`], {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let err = "";
      p.stderr.on("data", (d) => (err += d));
      const killer = setTimeout(() => p.kill(), 60000);
      p.on("exit", (c) => {
        clearTimeout(killer);
        if (c !== 0) console.error(err);
        resolve(c);
      });
    });
    assert.is(code, 0);
    const got = dev.received();
    const bundle = (await buildBoardBundle(loadBoard("esp32"), "tiny")).code.trim();
    // \x10 = echo off for the line (Espruino REPL), as EspruinoTools sends it.
    assert.ok(got.includes("\x10reset();\n"), JSON.stringify(got.slice(0, 80)));
    assert.ok(got.includes(`\x10Modules.addCached("wren-mqtt",function(){${bundle}});\n`), JSON.stringify(got));
  } finally {
    dev.close();
  }
});

test.run();
