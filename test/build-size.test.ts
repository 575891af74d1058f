import { test } from "uvu";
import * as assert from "uvu/assert";
import { markdownTable, ratioText, replaceBetweenMarkers, textTable, type SizeRow } from "../scripts/size";

const rows: SizeRow[] = [
  { board: "esp32", profile: "tiny", bytes: 1500, gzip: 800, budget: 1700, pass: true },
  { board: "esp8266", profile: "core", bytes: 5000, gzip: 2100, budget: 4900, pass: false },
];

test("the text table marks an over-budget bundle FAIL and gives the reference ratios", () => {
  const t = textTable(rows).split("\n");
  assert.match(t[1], /^esp32\s+tiny\s+1,500\s+800\s+1,700\s+pass\s+0\.84x tinyMQTT$/);
  assert.match(t[2], /^esp8266\s+core\s+5,000\s+2,100\s+4,900\s+FAIL\s+0\.81x Espruino MQTT$/);
  assert.is(t[t.length - 1], "references (minified): tinyMQTT 1,793 B, Espruino MQTT 6,169 B");
  assert.is(ratioText({ ...rows[0], profile: "full", bytes: 12338 }), "2.00x Espruino MQTT");
});

test("--markdown replaces only the text between the size markers", () => {
  const doc = "# wren\n\nintro\n<!-- size:start -->\nold table\n<!-- size:end -->\n\nmore\n";
  const out = replaceBetweenMarkers(doc, markdownTable(rows));
  assert.ok(out.startsWith("# wren\n\nintro\n<!-- size:start -->\n| board | profile |"));
  assert.ok(out.endsWith("References (minified): tinyMQTT 1,793 B, Espruino MQTT 6,169 B.\n<!-- size:end -->\n\nmore\n"));
  assert.not.match(out, "old table");
  assert.match(out, "| esp8266 | core | 5,000 | 2,100 | 4,900 | **FAIL** | 0.81x Espruino MQTT |");
  // Idempotent.
  assert.is(replaceBetweenMarkers(out, markdownTable(rows)), out);
});

test("the markdown table says the floors under the references when they are given", () => {
  const t = markdownTable(rows, { tiny: 1763, core: 2624 }).split("\n");
  assert.is(t[t.length - 3], "References (minified): tinyMQTT 1,793 B, Espruino MQTT 6,169 B.");
  assert.is(t[t.length - 2], "");
  assert.is(
    t[t.length - 1],
    "Floors under the budgets: tiny 1,763 B, core 2,624 B: each profile's feature list with no input checks, no error reports, no UTF-8 and no queue policies (`scripts/size-floor/`, never shipped).",
  );
});

test("a README without the markers is an error", () => {
  assert.throws(() => replaceBetweenMarkers("# no markers\n", "x"), /no <!-- size:start --> \.\.\. <!-- size:end --> markers/);
});

test.run();
