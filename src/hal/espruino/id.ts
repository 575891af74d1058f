/**
 * Default client id from the chip serial (getSerial(), the MAC on ESP32 /
 * ESP8266): "wren" + its hex digits, at most 23 characters of [0-9a-zA-Z],
 * which every server must accept [MQTT-3.1.3-5]. An `id` given is kept
 * (so the entry writes `o.clientId = espruinoClientId(o.clientId)`).
 */
declare function getSerial(): string;

export function espruinoClientId(id?: string): string {
  return id || ("wren" + getSerial()).replace(/[^0-9a-zA-Z]/g, "").substr(0, 23);
}
