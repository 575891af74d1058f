// ESP32 temperature sensor: publishes a reading every minute over WiFi with TLS.
// Flash:  npm run flash -- --board esp32 --port /dev/ttyUSB0 --storage examples/esp32-tls-sensor.js
// Written for the core bundle (the default profile): it hands `ca` to Espruino's
// TLS as given, and Espruino's mbedTLS wants DER, so the PEM is converted below.
// (The full bundle, --profile full, converts PEM itself and also takes a
// `wifi: {ssid, password}` option that dials only while WiFi is up.)
// Note: Espruino's TLS does not verify the server certificate on the board
// (see src/hal/espruino/transport.ts).
var CA = "-----BEGIN CERTIFICATE-----\n...your broker CA...\n-----END CERTIFICATE-----";
// PEM -> DER: the base64 between the BEGIN and END lines
var CA_DER = atob(CA.match(/E-----([^-]+)/)[1].replace(/\s/g, ""));
var ID = getSerial();

require("Wifi").connect("my-ssid", { password: "my-wifi-password" }, function (err) {
  if (err) return console.log("wifi:", err);
  var mqtt = require("wren-mqtt").connect("mqtts://broker.example.net:8883", {
    username: "sensor",
    password: "secret",
    ca: CA_DER,
    clean: false,            // keep the session: QoS 1 readings survive a dropped link
    keepalive: 120,
    will: { topic: "sensors/" + ID + "/online", payload: "0", qos: 1, retain: true }
  });

  mqtt.on("connect", function () {
    mqtt.publish("sensors/" + ID + "/online", "1", { qos: 1, retain: true });
  });
  mqtt.on("error", function (e) { console.log("mqtt:", e.message); });

  setInterval(function () {
    var celsius = E.getTemperature().toFixed(1);
    // While offline the reading waits in the bounded offline queue; a reading the
    // queue has to drop comes back here as QUEUE_DROPPED.
    mqtt.publish("sensors/" + ID + "/temp", celsius, { qos: 1 }, function (err) {
      if (err) console.log("reading not delivered:", err.code);
    });
  }, 60000);
});
