// @weft/proxy: the sidecar / gateway proxy runtime.
export { WeftProxy, ProxyConfigError, type ApplyResult, type Logger, type ProxyOptions } from "./proxy.ts";
export { FLAGS_HEADER, ResponseFlag, type ResponseFlagCode } from "./response-flags.ts";
export { ProxyMetrics } from "./metrics.ts";
export { loadConfigFile } from "./config-file.ts";
export { PullConfigSource, type PullConfigOptions, type PullStatus } from "./config-source.ts";
export { TelemetryPusher, type PushStatus, type PushableTelemetry } from "./telemetry-push.ts";
export type { FinishedSpan } from "./tracing.ts";
