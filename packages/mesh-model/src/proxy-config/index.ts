// The ProxyConfig schema and the pure logic the proxy runs on it: route
// matching with Gateway API precedence, filters and weighted picking.
export * from "./proxy-config.schema.ts";
export { DurationMsSchema, LocalitySchema, type Locality, PortSchema, SniSchema } from "./proxy-primitives.schema.ts";
export * from "./proxy-listeners.schema.ts";
export * from "./proxy-routes.schema.ts";
export * from "./proxy-backends.schema.ts";
export * from "./proxy-limits.schema.ts";
export * from "./proxy-security.schema.ts";
export * from "./proxy-config.validate.ts";
export * from "./route-match.ts";
export * from "./route-filters.ts";
export * from "./weighted-pick.ts";
export * from "./latency-sketch.ts";
export * from "./trace-context.ts";
export * from "./east-west-sni.ts";
export * from "../telemetry/response-flags.ts";
