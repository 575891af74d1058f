import * as esbuild from "esbuild";
import { bundleEspruino, profileDefines } from "./lib/bundle";
import { repoPath } from "./lib/paths";
const sets: Record<string, string[]> = {
  tiny: ["encodeConnect", "encodePublish", "encodeSubscribe", "encodeUnsubscribe", "encodePingreq", "encodeDisconnect", "Decoder"],
};
sets.core = [...sets.tiny, "encodeAck"];
sets.full = [...sets.core, "encodeAuth"];
async function shake(code: string) {
  // the final pass again, with tree shaking (drops functions only dead branches referenced)
  for (let i = 0; i < 2; i++) code = (await esbuild.transform(code, { minify: true, target: "es5", format: "cjs", treeShaking: true, charset: "ascii" })).code;
  return code;
}
for (const prof of ["tiny", "core", "full"] as const) {
  const names = sets[prof];
  const src = `import {${names.join(",")}} from "./index";\n` + names.map((n) => `exports.${n}=${n};`).join("\n");
  const base = names.map((n) => `exports.${n}=0;`).join("\n");
  const r = await bundleEspruino({ stdin: { contents: src, resolveDir: repoPath("src/codec") }, defines: profileDefines(prof) });
  const b = await bundleEspruino({ stdin: { contents: base, resolveDir: repoPath("src/codec") }, defines: profileDefines(prof) });
  const rs = await shake(r.code), bs = await shake(b.code);
  console.log(prof, r.code.length - b.code.length, "bytes (codec only, lead pipeline);", rs.length - bs.length, "with a tree-shaking final pass", r.helpers);
  if (process.argv[2] == prof) console.log(rs);
}
