// ESP32 temperature sensor: publishes a reading every minute over WiFi with TLS.
// Flash:  npm run flash -- --board esp32 --port /dev/ttyUSB0 --storage examples/esp32-tls-sensor.js
// The CA is the PEM of the broker's certificate authority; the bundle turns it
// into the DER that Espruino's mbedTLS expects. Note: Espruino's TLS does not
// verify the server certificate on the board (see src/hal/espruino/transport.ts).
var CA = "-----BEGIN CERTIFICATE-----\n...your broker CA...\n-----END CERTIFICATE-----";

var mqtt = require("wren-mqtt").connect("mqtts://broker.example.net:8883", {
  username: "sensor",
  password: "secret",
  ca: CA,
  clean: false,              // keep the session: QoS 1 readings survive a dropped link
  keepalive: 120,
  wifi: { ssid: "my-ssid", password: "my-wifi-password" }, // the client dials only while WiFi is up
  will: { topic: "sensors/" + getSerial() + "/online", payload: "0", qos: 1, retain: true }
});

mqtt.on("connect", function () {
  mqtt.publish("sensors/" + getSerial() + "/online", "1", { qos: 1, retain: true });
});
mqtt.on("error", function (e) { console.log("mqtt:", e.message); });

setInterval(function () {
  var celsius = E.getTemperature().toFixed(1);
  // While offline the reading waits in the bounded offline queue; a drop is reported here.
  mqtt.publish("sensors/" + getSerial() + "/temp", celsius, { qos: 1 }, function (err) {
    if (err) console.log("reading not delivered:", err.code);
  });
}, 60000);
