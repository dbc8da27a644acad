import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoredDocumentError } from "../src/features/resources/resources.repository.ts";
import { LatencySketch } from "@weft/mesh-model/proxy-config";
import { agentClient, apiClient, sessionClient, startTestManager, type ApiClient, type TestManager } from "../src/testing.ts";
import { refusal, routeYaml, seedDiscovery, trafficPolicyYaml } from "./support.ts";

describe("resources: apply, dry run, revisions, history and rollback", () => {
  let m: TestManager;
  let admin: ApiClient;
  const version = async () => (await admin.mesh.status.query()).configVersion;

  beforeAll(async () => {
    m = await startTestManager();
    await seedDiscovery(m.db);
    admin = (await sessionClient(m.url, "admin", m.adminPassword)).client;
  });
  afterAll(async () => {
    await m?.stop();
  });

  it("creates the default mesh with the trust domain and version 0", async () => {
    expect(await admin.mesh.status.query()).toMatchObject({ name: "default", trustDomain: "weft.local", configVersion: 0n });
  });

  it("a dry run returns validation, findings, diffs and affected workloads, and changes nothing", async () => {
    const result = await admin.resources.applyDocuments.mutate({ text: `${routeYaml()}---\n${trafficPolicyYaml()}`, dryRun: true });
    expect(result).toMatchObject({ dryRun: true, status: "dry-run", configVersion: 0n, validation: { valid: true, issues: [] }, impact: null, changeRequest: null });
    expect(result.changes.map((c) => `${c.action} ${c.ref.kind}/${c.ref.namespace}/${c.ref.name}`)).toEqual(["create HTTPRoute/shop/checkout", "create TrafficPolicy/shop/cart"]);
    expect(result.changes[0]?.diff).toEqual([{ op: "add", path: "", value: expect.objectContaining({ kind: "HTTPRoute" }) }]);
    expect(result.changes[0]?.textDiff).toContain("+kind: HTTPRoute");
    const checkoutV2 = result.affectedWorkloads.find((w) => w.name === "checkout-v2-0");
    expect(checkoutV2).toMatchObject({ cluster: "east", namespace: "shop" });
    expect(checkoutV2?.reasons).toEqual(expect.arrayContaining(["parent shop/checkout", "backend shop/checkout"]));
    // No telemetry yet: nothing ever called checkout, so no workload is named its caller.
    expect(result.affectedWorkloads.find((w) => w.name === "cart-v1-0")).toMatchObject({ reasons: ["target shop/cart"], calls: [] });
    expect(result.affectedWorkloads.flatMap((w) => w.reasons).filter((r) => r.includes("caller"))).toEqual([]);
    expect(await version()).toBe(0n);
    expect(await admin.resources.list.query()).toEqual([]);
  });

  it("a route's dry run names as callers only the workloads telemetry saw calling the service, at the rollups' rate", async () => {
    const east = (await admin.clusters.list.query()).find((c) => c.name === "east")!;
    const { joinToken } = await admin.clusters.createJoinToken.mutate({ id: east.id });
    const { credential } = await apiClient(m.url).agent.join.mutate({ joinToken, agentVersion: "test" });
    const agent = agentClient(m.url, credential);
    const MINUTE = 60_000;
    const firstMinute = Math.floor(Date.now() / MINUTE) * MINUTE - 3 * MINUTE;
    const sketch = new LatencySketch();
    sketch.add(5);
    const end = (namespace: string, service: string, version: string) => ({ cluster: "east", namespace, service, version });
    // frontend calls checkout (120 requests a minute, two versions); cart calls ledger, never checkout.
    for (let i = 0; i < 3; i++) {
      const minute = firstMinute + i * MINUTE;
      await agent.agent.reportTelemetry.mutate({
        edges: [
          { minute, source: end("shop", "frontend", "v1"), destination: end("shop", "checkout", "v1"), codeClass: "2xx", requests: 100, errors: 0, latency: sketch.toJSON() },
          { minute, source: end("shop", "frontend", "v1"), destination: end("shop", "checkout", "v2"), codeClass: "5xx", requests: 20, errors: 20, latency: sketch.toJSON() },
          { minute, source: end("shop", "cart", "v1"), destination: end("payments", "ledger", "v1"), codeClass: "2xx", requests: 60, errors: 0, latency: sketch.toJSON() },
        ],
      });
    }
    const result = await admin.resources.applyDocuments.mutate({ text: routeYaml({ v1: 50, v2: 50 }), dryRun: true });
    const edges = await admin.telemetry.edges.query({ from: new Date(Date.now() - 60 * MINUTE), to: new Date() });
    const rollupRate = edges.edges.filter((e) => e.source.service === "frontend" && e.destination.service === "checkout").reduce((n, e) => n + e.rate, 0);
    expect(rollupRate * edges.coveredSeconds).toBeCloseTo(360, 6);

    const callers = result.affectedWorkloads.filter((w) => w.reasons.some((r) => r.startsWith("caller of")));
    expect(callers.map((w) => `${w.cluster}/${w.namespace}/${w.name}`)).toEqual(["east/shop/frontend-v1-0"]);
    const rate = callers[0]!.calls.find((c) => c.service === "shop/checkout")!.requestsPerSecond;
    // The same rollups over (nearly) the same covered time: equal but for the instant each was read.
    expect(Math.abs(rate - rollupRate) / rollupRate).toBeLessThan(0.01);
    expect(callers[0]!.reasons).toContain(`caller of shop/checkout: ≈ ${Math.round(rate * 600) / 10} req/min in the last hour`);
    // Never called checkout: cart and ledger are not its callers; checkout's own instances stay, for their own reason.
    expect(result.affectedWorkloads.find((w) => w.name === "cart-v1-0")).toBeUndefined();
    expect(result.affectedWorkloads.find((w) => w.name === "ledger-v1-0")).toBeUndefined();
    expect(result.affectedWorkloads.find((w) => w.name === "checkout-v2-0")?.reasons).toEqual(["parent shop/checkout", "backend shop/checkout"]);
  });

  it("applies a multi-document change as one revision each and bumps the config version once", async () => {
    const result = await admin.resources.applyDocuments.mutate({ text: `${routeYaml()}---\n${trafficPolicyYaml()}`, message: "first routes" });
    expect(result).toMatchObject({ dryRun: false, status: "applied", configVersion: 1n });
    expect(await version()).toBe(1n);
    const history = await admin.resources.history.query({ kind: "HTTPRoute", namespace: "shop", name: "checkout" });
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ revision: 1, action: "create", authorName: "admin", message: "first routes", configVersion: 1n, services: ["shop/checkout"] });
  });

  it("re-applying identical documents is a no-op that bumps nothing", async () => {
    const result = await admin.resources.applyDocuments.mutate({ text: routeYaml() });
    expect(result.status).toBe("unchanged");
    expect(await version()).toBe(1n);
  });

  it("an update writes a revision with a structured diff", async () => {
    const dry = await admin.resources.applyDocuments.mutate({ text: routeYaml({ v1: 50, v2: 50 }), dryRun: true });
    expect(dry.changes[0]).toMatchObject({ action: "update", fromRevision: 1 });
    expect(dry.changes[0]?.diff).toEqual([
      { op: "replace", path: "spec.rules[0].backendRefs[0].weight", from: 90, to: 50 },
      { op: "replace", path: "spec.rules[0].backendRefs[1].weight", from: 10, to: 50 },
    ]);
    expect(dry.changes[0]?.textDiff).toMatch(/-\s+weight: 90\n\+\s+weight: 50/);
    const applied = await admin.resources.applyDocuments.mutate({ text: routeYaml({ v1: 50, v2: 50 }), message: "half and half" });
    expect(applied.configVersion).toBe(2n);
    const [latest] = await admin.resources.history.query({ kind: "HTTPRoute", namespace: "shop", name: "checkout" });
    expect(latest).toMatchObject({ revision: 2, action: "update", configVersion: 2n });
    expect(latest?.diff).toHaveLength(2);
  });

  it("malformed YAML, unknown kinds and wrong types give path-specific errors and store nothing", async () => {
    const before = await admin.resources.list.query();
    const bad = await refusal(admin.resources.applyDocuments.mutate({ text: `${routeYaml()}---\nkind: Mesh\nspec: [a, b\n` }));
    expect(bad.code).toBe("BAD_REQUEST");
    expect(bad.domainCode).toBe("UNPARSABLE_INPUT");
    expect(bad.fieldErrors?.[0]).toMatchObject({ code: "yaml_syntax", document: 1 });

    const unknown = await refusal(admin.resources.applyDocuments.mutate({ text: "apiVersion: weft.io/v1alpha1\nkind: VirtualService\nmetadata: { name: x }\n" }));
    expect(unknown.fieldErrors).toEqual([expect.objectContaining({ path: "kind", code: "unknown_kind" })]);

    const wrong = await refusal(admin.resources.applyDocuments.mutate({ text: `${trafficPolicyYaml({ name: "other" })}---\n${routeYaml({ name: "typo" }).replace("weight: 10", "weight: ten")}` }));
    expect(wrong.fieldErrors).toEqual([expect.objectContaining({ path: "spec.rules[0].backendRefs[1].weight", code: "invalid_type", document: 1, line: 27 })]);

    const dry = await admin.resources.applyDocuments.mutate({ text: routeYaml().replace("weight: 10", "weight: ten"), dryRun: true });
    expect(dry).toMatchObject({ status: "invalid", validation: { valid: false } });
    expect(dry.validation.issues[0]?.path).toBe("spec.rules[0].backendRefs[1].weight");

    expect(await admin.resources.list.query()).toEqual(before);
    expect(await version()).toBe(2n);
  });

  it("analyzer errors block (nothing stored), warnings pass", async () => {
    const blocked = await refusal(admin.resources.applyDocuments.mutate({ text: `${trafficPolicyYaml({ name: "fine" , service: "frontend"})}---\n${routeYaml({ name: "ghost", service: "nowhere" })}` }));
    expect(blocked.domainCode).toBe("ANALYSIS_FAILED");
    expect(blocked.fieldErrors?.map((f) => f.code)).toContain("WEFT1001");
    expect((await admin.resources.list.query()).map((r) => r.name)).not.toContain("fine");

    const dry = await admin.resources.applyDocuments.mutate({ text: routeYaml({ name: "ghost", service: "nowhere" }), dryRun: true });
    expect(dry.status).toBe("blocked");
    expect(dry.findings.map((f) => f.code)).toContain("WEFT1001");

    const warned = await admin.resources.applyDocuments.mutate({ text: trafficPolicyYaml({ name: "unknown-target", service: "not-yet-discovered" }) });
    expect(warned.status).toBe("applied");
    expect(warned.findings.map((f) => `${f.severity} ${f.code}`)).toEqual(["warning WEFT1005"]);
  });

  it("rollback restores an earlier revision as a new revision and bumps the config version", async () => {
    const before = await version();
    const result = await admin.resources.rollback.mutate({ kind: "HTTPRoute", namespace: "shop", name: "checkout", toRevision: 1 });
    expect(result).toMatchObject({ status: "applied", configVersion: before + 1n });
    const history = await admin.resources.history.query({ kind: "HTTPRoute", namespace: "shop", name: "checkout" });
    expect(history.map((r) => `${r.revision} ${r.action}`)).toEqual(["3 restore", "2 update", "1 create"]);
    expect(history[0]?.document).toEqual(history[2]?.document);
    expect(history[0]?.message).toBe("roll back to revision 1");
    const current = await admin.resources.get.query({ kind: "HTTPRoute", namespace: "shop", name: "checkout" });
    expect(current.revision).toBe(3);
    expect(JSON.stringify(current.document)).toContain('"weight":90');
  });

  it("delete writes a deletion revision; the history stays and rollback brings it back", async () => {
    const deleted = await admin.resources.delete.mutate({ kind: "TrafficPolicy", namespace: "shop", name: "cart", message: "not needed" });
    expect(deleted.changes[0]).toMatchObject({ action: "delete", fromRevision: 1 });
    expect((await admin.resources.list.query()).map((r) => r.name)).not.toContain("cart");
    expect((await refusal(admin.resources.get.query({ kind: "TrafficPolicy", namespace: "shop", name: "cart" }))).code).toBe("NOT_FOUND");
    expect((await refusal(admin.resources.delete.mutate({ kind: "TrafficPolicy", namespace: "shop", name: "cart" }))).code).toBe("NOT_FOUND");
    await admin.resources.rollback.mutate({ kind: "TrafficPolicy", namespace: "shop", name: "cart", toRevision: 1 });
    const history = await admin.resources.history.query({ kind: "TrafficPolicy", namespace: "shop", name: "cart" });
    expect(history.map((r) => `${r.revision} ${r.action}`)).toEqual(["3 restore", "2 delete", "1 create"]);
  });

  it("keeps history per service and mesh-wide, paged by config version", async () => {
    const checkout = await admin.resources.serviceHistory.query({ namespace: "shop", name: "checkout" });
    expect(checkout.revisions.map((r) => `${r.kind}/${r.name}#${r.revision}`)).toEqual(["HTTPRoute/checkout#3", "HTTPRoute/checkout#2", "HTTPRoute/checkout#1"]);
    const mesh = await admin.resources.meshHistory.query({ limit: 2 });
    expect(mesh.revisions.map((r) => r.configVersion)).toEqual([6n, 5n]);
    const next = await admin.resources.meshHistory.query({ limit: 2, beforeVersion: mesh.nextCursor ?? undefined });
    expect(next.revisions.map((r) => r.configVersion)).toEqual([4n, 3n]);
    const all = await admin.resources.meshHistory.query({ limit: 500 });
    // Version 1 wrote two revisions: one change, one version.
    expect(all.revisions.filter((r) => r.configVersion === 1n)).toHaveLength(2);
    expect(all.nextCursor).toBeNull();
  });
  it("rolling back to a deletion of a resource that is already deleted reports unchanged", async () => {
    await admin.resources.delete.mutate({ kind: "TrafficPolicy", namespace: "shop", name: "cart" });
    const before = await version();
    for (const dryRun of [true, false]) {
      const result = await admin.resources.rollback.mutate({ kind: "TrafficPolicy", namespace: "shop", name: "cart", toRevision: 2, dryRun });
      expect(result).toMatchObject({ status: "unchanged", configVersion: before });
      expect(result.changes.map((c) => c.action)).toEqual(["unchanged"]);
    }
    expect((await admin.resources.history.query({ kind: "TrafficPolicy", namespace: "shop", name: "cart" })).map((r) => `${r.revision} ${r.action}`)).toEqual(["4 delete", "3 restore", "2 delete", "1 create"]);
  });

  it("a Mesh resource changes the mesh: its mTLS mode reaches mesh.status in the same change; the trust domain is refused once workloads exist", async () => {
    const mesh = (trustDomain: string, mode: string, name = "default") => `apiVersion: weft.io/v1alpha1\nkind: Mesh\nmetadata: { name: ${name} }\nspec:\n  trustDomain: ${trustDomain}\n  mtls: { mode: ${mode} }\n`;
    const applied = await admin.resources.applyDocuments.mutate({ text: mesh("weft.local", "PERMISSIVE") });
    expect(applied.status).toBe("applied");
    expect(await admin.mesh.status.query()).toMatchObject({ trustDomain: "weft.local", mtlsMode: "PERMISSIVE", configVersion: applied.configVersion });

    const renamed = await refusal(admin.resources.applyDocuments.mutate({ text: mesh("other.example", "STRICT") }));
    expect(renamed.code).toBe("CONFLICT");
    expect(renamed.fieldErrors).toEqual([expect.objectContaining({ path: "spec.trustDomain", message: expect.stringMatching(/while workloads exist.*root-rotation/) })]);
    expect((await refusal(admin.resources.applyDocuments.mutate({ text: mesh("other.example", "STRICT"), dryRun: true }))).code).toBe("CONFLICT");
    expect((await refusal(admin.resources.applyDocuments.mutate({ text: mesh("weft.local", "STRICT", "second") }))).fieldErrors).toEqual([expect.objectContaining({ path: "metadata.name" })]);
    expect(await admin.mesh.status.query()).toMatchObject({ trustDomain: "weft.local", mtlsMode: "PERMISSIVE", configVersion: applied.configVersion });

    // Rolling the Mesh resource back restores the row too.
    await admin.resources.applyDocuments.mutate({ text: mesh("weft.local", "STRICT") });
    expect((await admin.mesh.status.query()).mtlsMode).toBe("STRICT");
    await admin.resources.rollback.mutate({ kind: "Mesh", name: "default", toRevision: 1 });
    expect((await admin.mesh.status.query()).mtlsMode).toBe("PERMISSIVE");
  });

  it("authorization.whatIf answers from the live AuthorizationPolicies with the policy and rule that decided", async () => {
    await admin.resources.applyDocuments.mutate({
      text: `apiVersion: weft.io/v1alpha1
kind: AuthorizationPolicy
metadata: { name: no-batch, namespace: shop }
spec:
  targetRef: { name: frontend }
  action: DENY
  rules:
    - to: { methods: [DELETE] }
    - from: { namespaces: [jobs] }
`,
    });
    const ask = (source: { identity?: string; namespace?: string }, method = "GET", service = "frontend") => admin.authorization.whatIf.query({ source, destination: { service, namespace: "shop" }, method, path: "/orders?page=2" });
    const denied = await ask({ identity: "spiffe://weft.local/ns/jobs/sa/batch" });
    expect(denied).toMatchObject({ decision: "DENY", decidedBy: { namespace: "shop", name: "no-batch", action: "DENY", rule: 1, matchedRule: { from: { namespaces: ["jobs"] } } }, consideredPolicies: ["shop/no-batch"] });
    expect(denied.reason).toContain("shop/no-batch");
    expect(await ask({ identity: "spiffe://weft.local/ns/shop/sa/cart" })).toMatchObject({ decision: "ALLOW", decidedBy: null });
    expect(await ask({ identity: "spiffe://weft.local/ns/shop/sa/cart" }, "DELETE")).toMatchObject({ decision: "DENY", decidedBy: { rule: 0 } });
    // Another service: the policy does not apply.
    expect(await ask({ identity: "spiffe://weft.local/ns/jobs/sa/batch" }, "GET", "cart")).toMatchObject({ decision: "ALLOW", decidedBy: null, consideredPolicies: [] });
  });
  it("a stored document that no longer validates is an error, never handed out as valid", async () => {
    const mesh = await m.db.prisma.mesh.findUniqueOrThrow({ where: { name: "default" } });
    const corrupt = await m.db.prisma.resource.create({ data: { meshId: mesh.id, kind: "TrafficPolicy", namespace: "legacy", name: "corrupt", revision: 1 } });
    try {
      await m.db.prisma.resourceRevision.create({
        data: { resourceId: corrupt.id, revision: 1, document: { apiVersion: "weft.io/v1alpha1", kind: "TrafficPolicy", metadata: { name: "corrupt", namespace: "legacy" }, spec: { targetRef: { name: 7 } } }, authorName: "legacy", action: "create", diff: [], configVersion: 1n, services: [] },
      });
      const err = await m.services.resources.get({ kind: "TrafficPolicy", namespace: "legacy", name: "corrupt" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoredDocumentError);
      expect((err as Error).message).toBe("stored revision 1 of TrafficPolicy/legacy/corrupt no longer validates: spec.targetRef.name: expected string, received number");
      const overApi = await refusal(admin.resources.get.query({ kind: "TrafficPolicy", namespace: "legacy", name: "corrupt" }));
      expect(overApi.code).toBe("INTERNAL_SERVER_ERROR");
    } finally {
      await m.db.prisma.resource.delete({ where: { id: corrupt.id } });
    }
  });
});
