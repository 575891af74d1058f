// ESP8266 sensor on the `tiny` bundle (QoS 0 only, about 2.6 KB): a reading every
// 10 s, an LED driven by a command topic. Keeps its WiFi and MQTT link up; the
// client reconnects by itself with backoff and renews its subscription.
// Flash:  npm run flash -- --board esp8266 --port /dev/ttyUSB0 --profile tiny --storage examples/esp8266-tiny-sensor.js
var ID = "esp8266-" + getSerial().replace(/\W/g, "");

require("Wifi").connect("my-ssid", { password: "my-wifi-password" }, function (err) {
  if (err) return console.log("wifi", err);
  // tiny takes an options object; topics and ids must be ASCII
  var mqtt = require("wren-mqtt").connect({ host: "broker.example.net", clientId: ID, keepalive: 120 });
  mqtt.on("connect", function () {
    mqtt.subscribe("sensors/" + ID + "/led");
  });
  // payloads are binary strings in tiny
  mqtt.on("message", function (topic, payload) {
    digitalWrite(D2, payload == "on");
  });
  // OFFLINE (a reading while the link is down: reported, not queued), NET, PING_TIMEOUT...
  mqtt.on("error", function (e) {
    console.log("mqtt", e.code);
  });
  setInterval(function () {
    mqtt.publish("sensors/" + ID + "/temp", E.getTemperature().toFixed(1));
  }, 10000);
});
