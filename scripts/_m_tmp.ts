import { measureCodecSizes } from "./bench-codec";
console.log(await measureCodecSizes());
