/**
 * Default client id from the chip serial (getSerial(), the MAC on ESP32 /
 * ESP8266): "wren" + its hex digits, at most 23 characters of [0-9a-zA-Z],
 * which every server must accept [MQTT-3.1.3-5].
 */
declare function getSerial(): string;

export function espruinoClientId(): string {
  return ("wren" + getSerial()).replace(/[^0-9a-zA-Z]/g, "").substr(0, 23);
}
