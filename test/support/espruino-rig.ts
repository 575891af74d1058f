/** Rigs running the Espruino HAL over the Espruino stand-in (real TCP underneath). */
import type { Storage } from "../../src/hal/hal";
import { espruinoTransport } from "../../src/hal/espruino/transport";
import { espruinoStorage as makeEspruinoStorage } from "../../src/hal/espruino/storage";
import { closedPort, tcpServer, type Rig } from "./hal-rigs";
import { installEspruino, type Standin } from "./espruino-standin";

export async function espruinoRig(): Promise<Rig & { standin: Standin }> {
  const standin = installEspruino({ chip: "ESP32" });
  const srv = await tcpServer();
  return {
    name: "espruino",
    standin,
    transport: espruinoTransport(),
    genericErrors: { refused: /^NET: connection reset$/, reset: /^NET: connection reset$/ },
    target: { host: "127.0.0.1", port: srv.port },
    refusedTarget: async () => ({ host: "127.0.0.1", port: await closedPort() }),
    accept: srv.accept,
    stop: async () => {
      await srv.stop();
      standin.uninstall();
    },
  };
}

/**
 * An Espruino Storage over a fresh stand-in. The stand-in's globals stay
 * installed until `uninstallAll()` (the HAL reads `E` at each call).
 */
const installed: Standin[] = [];
export function espruinoStorage(): Storage & { standin: Standin } {
  const standin = installEspruino({ chip: "ESP32" });
  installed.push(standin);
  return Object.assign(makeEspruinoStorage(), { standin });
}
export function uninstallAll(): void {
  while (installed.length) installed.pop()!.uninstall();
}
