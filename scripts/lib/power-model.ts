/**
 * A first-order energy model of a WiFi MQTT sensor, fed with the exact packet
 * trace of a simulated day (scripts/energy.ts). It answers "how much radio
 * time and charge does this keepalive strategy cost", not "what will my board
 * measure": module regulators, LEDs and USB-UART chips add their own
 * quiescent current, and real radio timing varies with the access point.
 *
 * Currents come from the board profile (boards/<id>.json, `wren.power`, with
 * their datasheet sources); the fallbacks below are the same datasheet
 * figures. Timing constants that no datasheet gives are ASSUMPTIONS, each with
 * its reasoning, and can be overridden.
 *
 * Two ways of living:
 * - connected: WiFi associated all day in modem-sleep (Espruino's
 *   `Wifi.setConfig({powersave: "modem"})`): the modem-sleep current is paid
 *   all day (it already averages CPU idle and the beacon wake-ups), and every
 *   packet costs a radio burst on top: TX at tx_mA, then a listen tail at
 *   rx_mA; RX at rx_mA. TCP acknowledgements are counted too: a segment not
 *   answered by the other side within the delayed-ACK window gets a bare ACK.
 * - duty-cycled: deep sleep between readings; each wake pays boot, WiFi
 *   association, the TCP handshake and the MQTT exchange with the radio on.
 */
import { loadBoard, type PowerModel } from "./boards";

/** Datasheet fallbacks (identical to boards/*.json `wren.power`). */
export const DATASHEET: { [board: string]: PowerModel } = {
  esp32: {
    supplyV: 3.3,
    cpu_mA: 30,
    tx_mA: 240,
    rx_mA: 100,
    modemSleep_mA: 30,
    lightSleep_mA: 0.8,
    deepSleep_mA: 0.01,
    wifiConnect_ms: 1500,
    wifiConnect_mA: 120,
    sources:
      "Espressif ESP32 Series Datasheet, 'RF Power-Consumption Specifications' (TX 802.11b 1 Mbps @19.5 dBm 240 mA; RX 95-100 mA) and 'Power Consumption by Power Modes' (modem-sleep 30-68 mA at 240 MHz, light-sleep 0.8 mA, deep-sleep 10 uA RTC timer + RTC memory). WiFi connect time/current: estimate.",
  },
  esp8266: {
    supplyV: 3.3,
    cpu_mA: 15,
    tx_mA: 170,
    rx_mA: 56,
    modemSleep_mA: 15,
    lightSleep_mA: 0.9,
    deepSleep_mA: 0.02,
    wifiConnect_ms: 2500,
    wifiConnect_mA: 80,
    sources:
      "Espressif ESP8266EX Datasheet, 'Power Consumption' (TX 802.11b 1 Mbps @+20 dBm 170 mA; RX 802.11g 56 mA; modem-sleep 15 mA; light-sleep 0.9 mA; deep-sleep 20 uA). WiFi connect time/current: estimate.",
  },
};

/** Timing assumptions (ms unless noted). */
export interface Assumptions {
  /** PHY rate for airtime, Mbit/s. */
  phyMbps: number;
  /** Per-frame bytes around an MQTT packet: 802.11 MAC 24 + LLC/SNAP 8 + FCS 4 + IPv4 20 + TCP 32 (with timestamps). */
  frameOverhead: number;
  /** Radio wake-up and PLL settling before a TX burst from modem-sleep. */
  txWake: number;
  /** Radio kept listening after a TX burst (802.11 ACK, power-save null frames, the AP's buffered reply). */
  txTail: number;
  /** Extra listen time per received frame beyond its airtime (preamble, 802.11 ACK). */
  rxGuard: number;
  /** Network round trip to the broker. */
  rtt: number;
  /** TCP delayed-ACK window: a segment answered within it needs no bare ACK. */
  ackDelay: number;
  /** Boot after deep sleep until the app runs (ROM boot, Espruino init, code from flash), at cpu_mA. */
  boot: number;
  /** Beacon interval x listen interval, and radio time per beacon listened to (radio-on only; its current is in modem-sleep). */
  beaconEvery: number;
  beaconListen: number;
  /**
   * Connected idle in automatic light sleep (ESP-IDF `esp_pm` with light
   * sleep; not available in Espruino) instead of modem sleep: light-sleep
   * current plus beacon wake-ups at rx_mA, and each burst pays for itself.
   */
  lightSleep?: boolean;
}

export const ASSUMPTIONS: Assumptions = {
  // 802.11n MCS7 is 65-72 Mbit/s, but small frames often go at basic rates; 11 Mbit/s (802.11b) is conservative.
  phyMbps: 11,
  frameOverhead: 88,
  // ESP-IDF re-enables RF and calibrates in a few ms when leaving modem sleep (estimate).
  txWake: 3,
  // The station signals PM=0/PM=1 with null frames and stays awake to catch the reply (estimate).
  txTail: 30,
  rxGuard: 1,
  // a broker in the same region; 10-100 ms is typical for cloud brokers
  rtt: 40,
  // Linux delayed ACK is 40 ms minimum (TCP_DELACK_MIN), lwIP 250 ms: the smaller figure means more ACKs
  ackDelay: 40,
  // Espruino on ESP32 reaches user code ~0.5 s after reset (estimate; ESP8266 similar)
  boot: 500,
  // 102.4 ms beacons, ESP-IDF default listen interval 3
  beaconEvery: 307.2,
  beaconListen: 2,
};

/** One MQTT packet on the wire. */
export interface TracePacket {
  t: number;
  /** 0: device -> broker, 1: broker -> device */
  dir: 0 | 1;
  bytes: number;
  type: number;
}

/** A simulated span (usually a day). */
export interface Trace {
  /** Duration, ms. */
  span: number;
  packets: TracePacket[];
  /**
   * Duty-cycled only: the awake windows [start, end] in ms, from wake-up
   * (before boot) to deep sleep. Absent: connected all the span.
   */
  wakes?: [number, number][];
}

export interface Energy {
  packets: number;
  bytes: number;
  /** TCP segments incl. bare ACKs and the handshakes. */
  segments: number;
  radioOnS: number;
  mAh: number;
  /** On a battery of `capacity` mAh. */
  days: number;
}

export function powerFigures(board: string): PowerModel {
  try {
    const p = loadBoard(board).wren.power;
    if (p) return p;
  } catch {
    /* fall back to the datasheet table */
  }
  const d = DATASHEET[board];
  if (!d) throw new Error("no power model for board " + board);
  return d;
}

const H = 3600000;

/** Energy of `trace` on a board with power figures `pw`. Charges in mA*ms until the end. */
export function energy(trace: Trace, pw: PowerModel, a: Assumptions = ASSUMPTIONS, capacity = 2000): Energy {
  const air = (bytes: number) => ((bytes + a.frameOverhead) * 8) / (a.phyMbps * 1000);
  const pk = trace.packets;
  let charge = 0; // mA*ms
  let radio = 0; // ms
  let segments = 0;
  let bytes = 0;
  const duty = !!trace.wakes;
  // current while "idle" between bursts: modem-sleep when connected all day,
  // radio listening (rx_mA) while awake in a duty cycle
  const idle = duty ? pw.rx_mA : a.lightSleep ? pw.lightSleep_mA : pw.modemSleep_mA;
  const txBurst = (payload: number) => {
    const t = a.txWake + air(payload);
    charge += (pw.tx_mA - idle) * t + (duty ? 0 : (pw.rx_mA - idle) * a.txTail);
    radio += t + (duty ? 0 : a.txTail);
    segments++;
  };
  const rxBurst = (payload: number) => {
    const t = air(payload) + a.rxGuard;
    charge += (pw.rx_mA - idle) * t;
    radio += duty ? 0 : t;
    segments++;
  };
  for (let i = 0; i < pk.length; i++) {
    const p = pk[i];
    bytes += p.bytes;
    if (p.dir == 0) txBurst(p.bytes);
    else rxBurst(p.bytes);
    // is this segment answered (carrying the TCP ACK) by the other side in time?
    let answered = false;
    const limit = p.t + (p.dir == 0 ? a.rtt : 0) + a.ackDelay;
    for (let j = i + 1; j < pk.length && pk[j].t <= limit; j++)
      if (pk[j].dir != p.dir) {
        answered = true;
        break;
      }
    if (!answered) {
      if (p.dir == 0) rxBurst(0);
      else txBurst(0);
    }
  }
  if (duty) {
    let awake = 0;
    for (const [s, e] of trace.wakes!) {
      // boot, then association, then TCP handshake (SYN, SYN-ACK, ACK) and the session: radio on
      const session = Math.max(0, e - s - a.boot - pw.wifiConnect_ms);
      awake += e - s;
      charge += pw.cpu_mA * a.boot + pw.wifiConnect_mA * pw.wifiConnect_ms + idle * session;
      radio += pw.wifiConnect_ms + session;
      txBurst(0);
      rxBurst(0);
      txBurst(0);
      // FIN, FIN-ACK after DISCONNECT
      txBurst(0);
      rxBurst(0);
    }
    charge += pw.deepSleep_mA * (trace.span - awake);
  } else {
    const beacons = (trace.span / a.beaconEvery) * a.beaconListen;
    charge += idle * trace.span + (a.lightSleep ? (pw.rx_mA - idle) * beacons : 0);
    radio += beacons;
  }
  const mAh = charge / H;
  const perDay = (x: number) => (x * 864e5) / trace.span;
  return {
    packets: perDay(pk.length),
    bytes: perDay(bytes),
    segments: perDay(segments),
    radioOnS: perDay(radio) / 1000,
    mAh: perDay(mAh),
    days: capacity / perDay(mAh),
  };
}
