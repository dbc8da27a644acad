// V8's young generation (its "new space") starts at 1 MB per semi-space and
// doubles, up to 16 MB, whenever a scavenge sees much of it survive. Start-up
// (module evaluation, the config's validation and compilation) is exactly
// that: left alone it grows the new space to its maximum, 32 MB of heap that
// stays resident in a proxy that then sits idle (V8 shrinks it only on a GC
// made under low allocation, which an idle process never runs). So growth is
// held during start-up and allowed again once the proxy serves: under load
// the new space still grows as far as the traffic needs (a 1 MB cap would
// cost ~25 % more CPU per request: more scavenges, more promotion).
// `--semi-space-growth-factor` is read at every grow, so changing it at run
// time takes effect (unlike --max-semi-space-size, fixed at heap set-up).
import { setFlagsFromString } from "node:v8";

const V8_DEFAULT_GROWTH_FACTOR = 2;

/** Keeps the new space at its initial size (call before loading the proxy). */
export function holdYoungGeneration(): void {
  setFlagsFromString("--semi-space-growth-factor=1");
}

/** Lets the new space grow with the traffic again (V8's default). */
export function releaseYoungGeneration(): void {
  setFlagsFromString(`--semi-space-growth-factor=${V8_DEFAULT_GROWTH_FACTOR}`);
}
