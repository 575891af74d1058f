/** End-to-end client behaviour against a real mosquitto process. */
import { startMosquitto } from "./support/mosquitto";
import { brokerSuite } from "./support/e2e-suite";

brokerSuite({
  name: "mosquitto",
  sysTopics: true,
  wildcardDowngrade: true,
  start: (opts) => startMosquitto(opts && opts.auth ? { auth: { users: { [opts.auth.user]: opts.auth.password } } } : {}),
});
