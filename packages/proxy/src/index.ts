// @weft/proxy: the sidecar / gateway proxy runtime.
export { WeftProxy, type ProxyOptions } from "./proxy.ts";
export { ProxyConfigError, type ApplyResult } from "./core/apply-result.ts";
export type { Logger } from "./core/logger.ts";
export { FLAGS_HEADER, ResponseFlag, type ResponseFlagCode } from "./core/response-flags.ts";
export { ProxyMetrics } from "./observability/metrics.ts";
export { loadConfigFile } from "./config/config-file.ts";
export { PullConfigSource, type PullConfigOptions, type PullStatus } from "./config/config-source.ts";
export { TelemetryPusher, type PushStatus, type PushableTelemetry } from "./config/telemetry-push.ts";
export type { FinishedSpan } from "./observability/tracing.ts";
