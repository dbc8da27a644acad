// `@weft/mesh-model/authorization`: the runtime side of AuthorizationPolicy —
// the compiled form a ProxyConfig carries and the per-request evaluator shared
// by the proxy and the manager's what-if procedure. The resource schema and
// its analyzers (this folder too) are exported from `@weft/mesh-model`.
export * from "./compiled-authorization.schema.ts";
export * from "./evaluate-authorization.ts";
export { matchesIdentityPattern, isIdentityPattern } from "../common/identity.ts";
