// The weft-proxy program's entry (bin/weft-proxy.js and the bundle start
// here): holds the young generation at its initial size before anything is
// loaded, then runs the CLI, which lets it grow once the proxy serves
// (core/young-generation.ts says why: ~14 MB less idle RSS).
import { holdYoungGeneration } from "./core/young-generation.ts";

holdYoungGeneration();
await import("./cli.ts");
