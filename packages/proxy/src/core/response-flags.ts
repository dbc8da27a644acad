// Response flags: short codes (Envoy's vocabulary) that say why the proxy,
// not the upstream, shaped a response. They go out in `x-weft-flags` and in
// the `response_flags` metric label ("-" when none). The vocabulary itself is
// mesh-model's (telemetry/response-flags.ts), shared with the dashboard.
import type { ResponseFlagCode } from "@weft/mesh-model/proxy-config";

export { ResponseFlag, type ResponseFlagCode } from "@weft/mesh-model/proxy-config";

export const FLAGS_HEADER = "x-weft-flags";

/** Joins flags for the header and the metric label. */
export function formatFlags(flags: readonly ResponseFlagCode[]): string {
  return flags.length === 0 ? "-" : flags.join(",");
}
