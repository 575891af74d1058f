/** End-to-end client behaviour against an in-process aedes broker (MQTT 3.1.1). */
import { startAedes } from "./support/aedes";
import { brokerSuite } from "./support/e2e-suite";

brokerSuite({
  name: "aedes",
  sysTopics: true,
  wildcardDowngrade: false,
  start: (opts) =>
    startAedes(
      opts && opts.auth
        ? {
            authenticate: (_id, user, pass) =>
              user === opts.auth!.user && !!pass && pass.toString() === opts.auth!.password,
          }
        : {}
    ),
});
