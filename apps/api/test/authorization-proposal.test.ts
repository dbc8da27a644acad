// authorization.propose: an ALLOW policy from the callers a service really
// had — mTLS peer identities in its spans and the service accounts of the
// calling services in the rollups — which, once applied, lets exactly those
// callers through (checked with the what-if evaluator the proxies run).
import { LatencySketch } from "@weft/mesh-model/proxy-config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discoverySnapshot } from "./agent-support.ts";
import { joinedAgent, sessionClient, startTestManager, type ApiClient, type TestManager } from "../src/testing.ts";

const MINUTE = 60_000;

describe("authorization.propose", () => {
  let m: TestManager;
  let admin: ApiClient;
  let trustDomain: string;

  beforeAll(async () => {
    m = await startTestManager();
    admin = (await sessionClient(m.url, "admin", m.adminPassword)).client;
    trustDomain = (await admin.mesh.status.query()).trustDomain;
    const east = (await joinedAgent(admin, m.url, "east")).client;
    // frontend (sa frontend) and jobs (sa jobs) run in east; both call checkout.
    await east.agent.resyncDiscovery.mutate(discoverySnapshot(1, [{ name: "frontend", versions: ["v1"] }, { name: "jobs", versions: ["v1"] }, { name: "checkout", versions: ["v1"] }]));
    const minute = Math.floor(Date.now() / MINUTE) * MINUTE - MINUTE;
    const edge = (service: string, requests: number) => {
      const sketch = new LatencySketch();
      for (let i = 0; i < requests; i++) sketch.add(5);
      return {
        minute,
        source: { cluster: "east", namespace: "shop", service, version: "v1" },
        destination: { cluster: "east", namespace: "shop", service: "checkout", version: "v1" },
        codeClass: "2xx" as const,
        requests,
        errors: 0,
        latency: sketch.toJSON(),
      };
    };
    await east.agent.reportTelemetry.mutate({ edges: [edge("frontend", 40), edge("jobs", 3), { ...edge("unknown", 2), source: { cluster: "", namespace: "", service: "unknown", version: "" } }] });
    // Sampled SERVER spans of checkout: frontend proved its identity over mTLS, one caller came in plaintext.
    const span = (i: number, identity: string) => ({
      traceId: `${"a".repeat(31)}${i}`,
      spanId: `${"b".repeat(15)}${i}`,
      cluster: "east",
      namespace: "shop",
      service: "checkout",
      kind: "SERVER",
      name: "GET /orders",
      startTime: new Date(minute + i * 1000),
      durationMs: 4,
      attributes: { "weft.source_identity": identity },
    });
    await m.db.prisma.span.createMany({
      data: [span(1, `spiffe://${trustDomain}/ns/shop/sa/frontend`), span(2, `spiffe://${trustDomain}/ns/shop/sa/frontend`), span(3, "unknown")],
    });
  });
  afterAll(async () => {
    await m?.stop();
  });

  it("proposes the observed identities and says what it cannot name", async () => {
    const proposal = await admin.authorization.propose.query({ namespace: "shop", service: "checkout", sinceMinutes: 30 });
    expect(proposal.callers).toEqual([
      { identity: `spiffe://${trustDomain}/ns/shop/sa/frontend`, evidence: ["mtls", "workload"], requests: 40, services: ["east/shop/frontend"] },
      { identity: `spiffe://${trustDomain}/ns/shop/sa/jobs`, evidence: ["workload"], requests: 3, services: ["east/shop/jobs"] },
    ]);
    expect(proposal.unidentifiedRequests).toBe(1);
    expect(proposal.unresolvedServices).toEqual(["callers outside the mesh"]);
    expect(proposal.warnings.join("\n")).toContain("plaintext");
    expect(proposal.policy).toMatchObject({
      kind: "AuthorizationPolicy",
      metadata: { name: "checkout-allow-observed", namespace: "shop" },
      spec: { targetRef: { name: "checkout" }, action: "ALLOW", rules: [{ from: { identities: proposal.callers.map((c) => c.identity) } }] },
    });
  });

  it("once applied, lets the observed callers through and denies the rest", async () => {
    const { policy } = await admin.authorization.propose.query({ namespace: "shop", service: "checkout" });
    await admin.resources.applyDocuments.mutate({ text: JSON.stringify(policy) });
    const ask = (identity?: string) =>
      admin.authorization.whatIf.query({ source: identity ? { identity } : {}, destination: { service: "checkout", namespace: "shop" }, method: "POST", path: "/orders" });
    expect((await ask(`spiffe://${trustDomain}/ns/shop/sa/frontend`)).decision).toBe("ALLOW");
    expect((await ask(`spiffe://${trustDomain}/ns/shop/sa/jobs`)).decision).toBe("ALLOW");
    expect((await ask(`spiffe://${trustDomain}/ns/shop/sa/intruder`)).decision).toBe("DENY");
    expect((await ask()).decision).toBe("DENY");
    // The next proposal points at the policy now in place.
    const again = await admin.authorization.propose.query({ namespace: "shop", service: "checkout" });
    expect(again.warnings.join("\n")).toContain("shop/checkout-allow-observed");
  });

  it("refuses a malformed request, naming the field", async () => {
    const err = (await admin.authorization.propose.query({ namespace: "Shop!", service: "checkout" }).catch((e: unknown) => e)) as { data?: { fieldErrors?: { path: string }[] } };
    expect(err.data?.fieldErrors?.map((f) => f.path)).toContain("namespace");
  });
});
