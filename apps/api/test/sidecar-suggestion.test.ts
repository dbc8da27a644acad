// sidecars.suggest: a Sidecar (egress scope) from what a service's workloads
// really called, as the agents reported it into the telemetry rollups —
// every destination in any cluster collapsed to <namespace>/<service>, the
// ExternalServices it called, and the diff against the Sidecar in force.
import { LatencySketch } from "@weft/mesh-model/proxy-config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discoverySnapshot } from "./agent-support.ts";
import { userWithToken } from "./support.ts";
import { joinedAgent, sessionClient, startTestManager, tokenClient, type ApiClient, type TestManager } from "../src/testing.ts";

const MINUTE = 60_000;

type FailedCall = { message?: string; data?: { code?: string; fieldErrors?: { path: string }[] } };

describe("sidecars.suggest", () => {
  let m: TestManager;
  let admin: ApiClient;
  let viewer: ApiClient;
  const lastMinute = Math.floor(Date.now() / MINUTE) * MINUTE - MINUTE;

  beforeAll(async () => {
    m = await startTestManager();
    admin = (await sessionClient(m.url, "admin", m.adminPassword)).client;
    viewer = tokenClient(m.url, (await userWithToken(admin, m.url, sessionClient, "vera", "VIEWER")).token);
    const east = (await joinedAgent(admin, m.url, "east")).client;
    const west = (await joinedAgent(admin, m.url, "west")).client;
    // ratings exists in the mesh but nobody calls it: it must not be suggested.
    await east.agent.resyncDiscovery.mutate(discoverySnapshot(1, [{ name: "frontend", versions: ["v1"] }, { name: "checkout", versions: ["v1"] }, { name: "reviews", versions: ["v1"] }, { name: "ratings", versions: ["v1"] }]));
    await west.agent.resyncDiscovery.mutate(discoverySnapshot(1, [{ name: "reviews", versions: ["v2"] }]));
    await admin.resources.applyDocuments.mutate({
      text: JSON.stringify({ apiVersion: "weft.io/v1alpha1", kind: "ExternalService", metadata: { name: "stripe", namespace: "shop" }, spec: { hosts: ["api.stripe.example"], ports: [{ number: 80, protocol: "HTTP" }] } }),
    });
    const edge = (source: string, destination: { cluster: string; namespace: string; service: string; version?: string }, requests: number, minute = lastMinute) => {
      const sketch = new LatencySketch();
      for (let i = 0; i < requests; i++) sketch.add(5);
      return {
        minute,
        source: { cluster: "east", namespace: "shop", service: source, version: "v1" },
        destination: { version: "", ...destination },
        codeClass: "2xx" as const,
        requests,
        errors: 0,
        latency: sketch.toJSON(),
      };
    };
    await east.agent.reportTelemetry.mutate({
      edges: [
        edge("frontend", { cluster: "east", namespace: "shop", service: "checkout", version: "v1" }, 40),
        // reviews in two clusters (and two minutes): one host, counts summed, the later minute as last seen.
        edge("frontend", { cluster: "east", namespace: "shop", service: "reviews", version: "v1" }, 5, lastMinute - 60 * MINUTE),
        edge("frontend", { cluster: "west", namespace: "shop", service: "reviews", version: "v2" }, 10),
        // An ExternalService as the agent reports it: no cluster, and no namespace (it is not in the service catalog).
        edge("frontend", { cluster: "", namespace: "", service: "stripe" }, 3),
        // A call that matched no route at frontend's proxy.
        edge("frontend", { cluster: "", namespace: "", service: "unknown" }, 2),
        edge("checkout", { cluster: "east", namespace: "shop", service: "reviews", version: "v1" }, 7),
      ],
    });
  });
  afterAll(async () => {
    await m?.stop();
  });

  it("lists exactly the services a service called, with counts and last calls, for a viewer, storing nothing", async () => {
    const s = await viewer.sidecars.suggest.query({ namespace: "shop", service: "frontend" });
    expect(s.document).toEqual({
      apiVersion: "weft.io/v1alpha1",
      kind: "Sidecar",
      metadata: { name: "frontend-egress", namespace: "shop" },
      spec: { targetRef: { kind: "Service", name: "frontend" }, egress: { hosts: ["shop/checkout", "shop/reviews", "shop/stripe"] } },
    });
    expect(s.callees).toEqual([
      { host: "shop/checkout", kind: "Service", requests: 40, lastSeen: new Date(lastMinute), clusters: ["east"] },
      { host: "shop/reviews", kind: "Service", requests: 15, lastSeen: new Date(lastMinute), clusters: ["east", "west"] },
      { host: "shop/stripe", kind: "ExternalService", requests: 3, lastSeen: new Date(lastMinute), clusters: [] },
    ]);
    expect(s.document.spec.egress.hosts).not.toContain("shop/ratings");
    expect(s.diff).toBeNull();
    const notes = s.notes.join("\n");
    expect(notes).toContain("2 request(s) matched no route");
    // The rollups began an hour ago: a week's window is mostly empty, and a weekly caller could be missed.
    expect(notes).toMatch(/covers only 1 hour\(s\).*weekly/);
    expect(s.window.to.getTime() - s.window.from.getTime()).toBeGreaterThanOrEqual(7 * 86_400_000);
    expect(await admin.resources.list.query({ kind: "Sidecar" })).toEqual([]);
  });

  it("scopes a whole namespace to everything its workloads called", async () => {
    const s = await viewer.sidecars.suggest.query({ namespace: "shop" });
    expect(s.document.metadata).toEqual({ name: "shop-egress", namespace: "shop" });
    expect(s.document.spec.targetRef).toBeUndefined();
    expect(s.callees.map((c) => [c.host, c.requests])).toEqual([
      ["shop/checkout", 40],
      ["shop/reviews", 22],
      ["shop/stripe", 3],
    ]);
  });

  it("only counts the window asked for", async () => {
    const s = await viewer.sidecars.suggest.query({ namespace: "shop", service: "frontend", from: new Date(lastMinute - 10 * MINUTE), to: new Date(lastMinute + MINUTE) });
    expect(s.callees.find((c) => c.host === "shop/reviews")).toMatchObject({ requests: 10, clusters: ["west"] });
  });

  it("shows the hosts it would add and remove against the Sidecar in force, under that Sidecar's name", async () => {
    await admin.resources.applyDocuments.mutate({
      text: JSON.stringify({ apiVersion: "weft.io/v1alpha1", kind: "Sidecar", metadata: { name: "frontend-scope", namespace: "shop" }, spec: { targetRef: { name: "frontend" }, egress: { hosts: ["./checkout", "shop/ratings"] } } }),
    });
    const s = await viewer.sidecars.suggest.query({ namespace: "shop", service: "frontend" });
    expect(s.document.metadata.name).toBe("frontend-scope");
    expect(s.diff).toEqual({ against: "shop/frontend-scope", added: ["shop/reviews", "shop/stripe"], removed: ["shop/ratings"], unchanged: ["shop/checkout"] });
    // Applying the suggestion is an ordinary apply of the returned document.
    const dry = await admin.resources.applyDocuments.mutate({ text: JSON.stringify(s.document), dryRun: true });
    expect(dry.status).toBe("dry-run");
    expect(dry.changes.map((c) => [c.ref.name, c.action])).toEqual([["frontend-scope", "update"]]);
  });

  it("refuses to suggest an empty scope when there is no telemetry, saying why", async () => {
    const err = (await viewer.sidecars.suggest.query({ namespace: "shop", service: "ratings" }).catch((e: unknown) => e)) as FailedCall;
    expect(err.data?.code).toBe("PRECONDITION_FAILED");
    expect(err.message).toContain("no outbound calls of shop/ratings's workloads");
    expect(err.message).toContain("would cut all of its outbound traffic");
  });

  it.each([
    [{ namespace: "Shop!", service: "frontend" }, "namespace"],
    [{ namespace: "shop", service: "front end" }, "service"],
    [{ namespace: "shop", from: new Date(lastMinute), to: new Date(lastMinute - MINUTE) }, "to"],
    [{ namespace: "shop", from: new Date(lastMinute - 30 * 86_400_000), to: new Date(lastMinute) }, "from"],
  ])("refuses %j naming the field %s", async (input, field) => {
    const err = (await viewer.sidecars.suggest.query(input).catch((e: unknown) => e)) as FailedCall;
    expect(err.data?.fieldErrors?.map((f) => f.path)).toContain(field);
  });
});
