import { test } from "uvu";
import * as assert from "uvu/assert";
import { wrenError } from "../src/errors";
test("wrenError carries its code", () => {
  const e = wrenError("BAD_QOS", "qos 3");
  assert.is(e.code, "BAD_QOS");
  assert.is(e.message, "BAD_QOS: qos 3");
});
test.run();
