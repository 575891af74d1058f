// ESP8266 sensor that deep-sleeps between readings (GPIO16 wired to RST).
// Flash:  npm run flash -- --board esp8266 --port /dev/ttyUSB0 --storage examples/esp8266-deep-sleep-sensor.js
// Each wake: connect with a persistent session (clean=false, so the broker keeps
// subscriptions and queues QoS 1 commands while we sleep), publish one QoS 1
// reading, wait for its PUBACK, disconnect cleanly and sleep 5 minutes.
// The ESP8266 builds carry no flash session store (the `full` profile does not
// fit its RAM): a reading that was not acknowledged is retried on the next wake.
var SLEEP_US = 5 * 60 * 1000000;

function sleep() {
  require("ESP8266").deepSleep(SLEEP_US, 0);
}

require("Wifi").connect("my-ssid", { password: "my-wifi-password" }, function (err) {
  if (err) return sleep();
  var mqtt = require("wren-mqtt").connect("mqtt://broker.example.net", {
    clientId: "esp8266-" + getSerial().replace(/:/g, ""),
    clean: false,
    keepalive: 30
  });
  var guard = setTimeout(sleep, 20000); // never stay awake more than 20 s
  mqtt.on("message", function (topic, payload) {
    console.log("command", topic, E.toString(payload));
  });
  mqtt.on("connect", function () {
    mqtt.subscribe("sensors/esp8266/cmd", { qos: 1 });
    var volts = (analogRead(A0) * 4.2).toFixed(2);
    mqtt.publish("sensors/esp8266/battery", volts, { qos: 1 }, function (err) {
      clearTimeout(guard);
      mqtt.end(false, sleep); // DISCONNECT, then sleep
    });
  });
});
