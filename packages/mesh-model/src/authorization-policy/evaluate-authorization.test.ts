import { describe, expect, it } from "vitest";
import { AuthorizationPolicySchema, type AuthorizationPolicyInput } from "./authorization-policy.schema.ts";
import { CompiledAuthorizationPolicySchema, type CompiledAuthorizationPolicyInput } from "./compiled-authorization.schema.ts";
import { evaluateAuthorization, type AuthorizationRequest } from "./evaluate-authorization.ts";

const WEB = "spiffe://mesh.test/ns/shop/sa/web";
const ADMIN = "spiffe://mesh.test/ns/ops/sa/admin";
const BATCH = "spiffe://mesh.test/ns/shop/sa/batch";

const compiled = (p: CompiledAuthorizationPolicyInput) => CompiledAuthorizationPolicySchema.parse(p);

const allowWebReads = compiled({
  name: "web-reads",
  namespace: "shop",
  action: "ALLOW",
  rules: [{ from: { identities: [WEB] }, to: { methods: ["GET", "HEAD"], paths: ["/api/*"] } }],
});
const allowOpsNamespace = compiled({ name: "ops", namespace: "shop", action: "ALLOW", rules: [{ from: { namespaces: ["ops"] } }] });
const denyAdminPaths = compiled({ name: "no-admin", namespace: "shop", action: "DENY", rules: [{ from: { identities: ["*/sa/web"] }, to: { paths: ["/api/admin*"] } }] });
const auditDeletes = compiled({ name: "audit-deletes", namespace: "shop", action: "AUDIT", rules: [{ to: { methods: ["DELETE"] } }] });
const allowJwtAdmins = compiled({
  name: "jwt-admins",
  namespace: "shop",
  action: "ALLOW",
  rules: [{ to: { paths: ["/reports*"] }, when: [{ key: "request.auth.claims[groups]", values: ["admins"] }, { key: "request.auth.claims[org][tier]", values: ["gold"] }] }],
});
const allowHeader = compiled({ name: "canary", namespace: "shop", action: "ALLOW", rules: [{ to: { headers: [{ name: "X-Canary", values: ["yes*"] }] } }] });
const portScopedDeny = compiled({ name: "metrics-port", namespace: "shop", action: "DENY", ports: [9090], rules: [{}] });
const allowNothing = compiled({ name: "lockdown", namespace: "shop", action: "ALLOW" });
const denyCluster = compiled({ name: "no-eu", namespace: "shop", action: "DENY", rules: [{ from: { clusters: ["eu-1"] } }] });

const req = (over: Partial<AuthorizationRequest> & { identity?: string }): AuthorizationRequest => ({
  method: over.method ?? "GET",
  path: over.path ?? "/api/items",
  ...(over.identity ? { source: { identity: over.identity, ...over.source } } : over.source ? { source: over.source } : {}),
  ...(over.headers ? { headers: over.headers } : {}),
  ...(over.auth ? { auth: over.auth } : {}),
  ...(over.destination ? { destination: over.destination } : {}),
});

describe("evaluateAuthorization", () => {
  it.each([
    ["no policies: allowed by default", [], req({ identity: WEB }), "ALLOW", undefined],
    ["only DENY policies that do not match: allowed", [denyAdminPaths], req({ identity: WEB }), "ALLOW", undefined],
    ["ALLOW rule matches identity, method and path", [allowWebReads], req({ identity: WEB }), "ALLOW", "shop/web-reads"],
    ["query string is not part of the path", [allowWebReads], req({ identity: WEB, path: "/api/items?x=1" }), "ALLOW", "shop/web-reads"],
    ["method not allowed: default deny once an ALLOW exists", [allowWebReads], req({ identity: WEB, method: "POST" }), "DENY", undefined],
    ["path outside the prefix: default deny", [allowWebReads], req({ identity: WEB, path: "/internal" }), "DENY", undefined],
    ["another identity: default deny", [allowWebReads], req({ identity: BATCH }), "DENY", undefined],
    ["plaintext caller matches no from: default deny", [allowWebReads], req({}), "DENY", undefined],
    ["namespace taken from the SPIFFE ID", [allowOpsNamespace], req({ identity: ADMIN, method: "DELETE" }), "ALLOW", "shop/ops"],
    ["DENY overrides a matching ALLOW", [allowWebReads, denyAdminPaths], req({ identity: WEB, path: "/api/admin/users" }), "DENY", "shop/no-admin"],
    ["DENY by suffix wildcard only for that identity", [allowWebReads, allowOpsNamespace, denyAdminPaths], req({ identity: ADMIN, path: "/api/admin/users" }), "ALLOW", "shop/ops"],
    ["JWT claims (list and nested) allow", [allowJwtAdmins], req({ path: "/reports/q1", auth: { claims: { groups: ["staff", "admins"], org: { tier: "gold" } } } }), "ALLOW", "shop/jwt-admins"],
    ["JWT claim missing: default deny", [allowJwtAdmins], req({ path: "/reports/q1", auth: { claims: { groups: ["admins"] } } }), "DENY", undefined],
    ["no token at all: default deny", [allowJwtAdmins], req({ path: "/reports/q1" }), "DENY", undefined],
    ["header wildcard, header name case-insensitive", [allowHeader], req({ headers: { "x-canary": "yes-please" } }), "ALLOW", "shop/canary"],
    ["header absent", [allowHeader], req({ headers: { "x-other": "yes" } }), "DENY", undefined],
    ["port-scoped DENY applies on its port", [portScopedDeny], req({ identity: WEB, destination: { port: 9090 } }), "DENY", "shop/metrics-port"],
    ["port-scoped DENY ignored on another port", [portScopedDeny], req({ identity: WEB, destination: { port: 8080 } }), "ALLOW", undefined],
    ["ALLOW without rules denies everything", [allowNothing], req({ identity: ADMIN }), "DENY", undefined],
    ["cluster condition needs the cluster", [denyCluster], req({ identity: WEB, source: { cluster: "eu-1" } }), "DENY", "shop/no-eu"],
    ["cluster condition, other cluster", [denyCluster], req({ identity: WEB, source: { cluster: "us-1" } }), "ALLOW", undefined],
  ] as const)("%s", (_name, policies, request, decision, policy) => {
    const result = evaluateAuthorization(policies, request);
    expect(result.decision).toBe(decision);
    expect(result.policy).toBe(policy);
    expect(result.reason).toMatch(decision === "ALLOW" ? /allow/ : /den/);
  });

  it("records AUDIT matches without enforcing", () => {
    expect(evaluateAuthorization([auditDeletes], req({ identity: WEB, method: "DELETE" }))).toEqual({
      decision: "ALLOW",
      reason: expect.stringContaining("allowed by default"),
      audited: [{ policy: "shop/audit-deletes", rule: 0 }],
    });
    expect(evaluateAuthorization([auditDeletes, allowWebReads], req({ identity: WEB, method: "DELETE" }))).toMatchObject({
      decision: "DENY",
      audited: [{ policy: "shop/audit-deletes", rule: 0 }],
    });
  });

  it("reports the rule index and does not depend on policy order", () => {
    const two = compiled({ name: "b", namespace: "shop", action: "ALLOW", rules: [{ to: { methods: ["POST"] } }, { to: { methods: ["GET"] } }] });
    const other = compiled({ name: "a", namespace: "shop", action: "ALLOW", rules: [{ to: { paths: ["/api/items"] } }] });
    const forward = evaluateAuthorization([two, other], req({ identity: WEB }));
    const backward = evaluateAuthorization([other, two], req({ identity: WEB }));
    expect(forward).toEqual(backward);
    expect(forward).toMatchObject({ policy: "shop/a", rule: 0 });
    expect(evaluateAuthorization([two], req({ identity: WEB }))).toMatchObject({ policy: "shop/b", rule: 1 });
  });

  it("takes stored AuthorizationPolicy resources and ignores those targeting other services", () => {
    const resource = (name: string, target: string, spec: Partial<AuthorizationPolicyInput["spec"]>) =>
      AuthorizationPolicySchema.parse({ apiVersion: "weft.io/v1alpha1", kind: "AuthorizationPolicy", metadata: { name, namespace: "shop" }, spec: { targetRef: { name: target }, action: "ALLOW", ...spec } });
    const policies = [
      resource("cart-web", "cart", { rules: [{ from: { identities: [WEB] } }] }),
      resource("orders-admin", "orders", { action: "DENY", rules: [{}] }),
    ];
    expect(evaluateAuthorization(policies, req({ identity: WEB, destination: { service: "cart", namespace: "shop" } }))).toMatchObject({ decision: "ALLOW", policy: "shop/cart-web" });
    const denied = evaluateAuthorization(policies, req({ identity: BATCH, destination: { service: "cart", namespace: "shop" } }));
    expect([denied.decision, denied.policy]).toEqual(["DENY", undefined]);
    expect(evaluateAuthorization(policies, req({ identity: WEB, destination: { service: "orders", namespace: "shop" } }))).toMatchObject({ decision: "DENY", policy: "shop/orders-admin" });
    const elsewhere = evaluateAuthorization(policies, req({ identity: WEB, destination: { service: "cart", namespace: "other" } }));
    expect([elsewhere.decision, elsewhere.policy]).toEqual(["ALLOW", undefined]);
  });

  it.each([
    ["request.auth.principal", { principal: "https://idp/alice" }, ["https://idp/*"], true],
    ["request.auth.audiences", { audiences: ["shop", "api"] }, ["api"], true],
    ["request.auth.claims[scope]", { claims: { scope: "read write" } }, ["write"], true],
    ["request.auth.claims[admin]", { claims: { admin: true } }, ["true"], true],
    ["request.auth.claims[sub]", { claims: { sub: { nested: 1 } } }, ["*"], false],
  ] as const)("condition %s", (key, auth, values, allowed) => {
    const policy = compiled({ name: "p", action: "ALLOW", rules: [{ when: [{ key, values: [...values] }] }] });
    expect(evaluateAuthorization([policy], req({ auth })).decision).toBe(allowed ? "ALLOW" : "DENY");
  });

  it.each(["request.auth.claims", "request.header[x]", "request.auth.claims[]"])("refuses condition key %s", (key) => {
    expect(CompiledAuthorizationPolicySchema.safeParse({ name: "p", action: "ALLOW", rules: [{ when: [{ key, values: ["x"] }] }] }).success).toBe(false);
  });
});
