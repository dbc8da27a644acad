// @weft/mesh-model/compiler: mesh resources + the federated service catalog →
// the ProxyConfig of one workload. Pure: no I/O, no clock, deterministic.
export * from "./compile-input.ts";
export * from "./compile.ts";
export * from "./diagnostics.ts";
export * from "./config-hash.ts";
export * from "./unsupported-fields.ts";
export * from "./compile-gateway.ts";
export * from "./mesh-compiler.ts";
