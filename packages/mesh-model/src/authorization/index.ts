// Authorization, pure: the compiled policy form a ProxyConfig carries and the
// evaluator shared by the proxy and the manager's what-if procedure.
export * from "./authorization.schema.ts";
export * from "./evaluate-authorization.ts";
export { matchesIdentityPattern, isIdentityPattern } from "../common/identity.ts";
