import { TRPCClientError } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionClient, startTestManager, tokenClient, type ApiClient, type TestManager } from "../src/testing.ts";
import { routeYaml, seedDiscovery, trafficPolicyYaml, userWithToken } from "./support.ts";

describe("protected namespaces: four-eyes changes", () => {
  let m: TestManager;
  let admin: ApiClient;
  let alice: ApiClient;
  let bob: ApiClient;
  let viewer: ApiClient;

  beforeAll(async () => {
    m = await startTestManager();
    await seedDiscovery(m.db);
    admin = (await sessionClient(m.url, "admin", m.adminPassword)).client;
    alice = tokenClient(m.url, (await userWithToken(admin, m.url, sessionClient, "alice", "VIEWER", [{ role: "OPERATOR", namespace: "shop" }])).token);
    bob = tokenClient(m.url, (await userWithToken(admin, m.url, sessionClient, "bob", "OPERATOR")).token);
    viewer = tokenClient(m.url, (await userWithToken(admin, m.url, sessionClient, "victor", "VIEWER")).token);
    await admin.resources.applyDocuments.mutate({ text: routeYaml() });
    await admin.namespaces.protect.mutate({ namespace: "shop" });
  });
  afterAll(async () => {
    await m?.stop();
  });

  const live = async () => (await admin.resources.get.query({ kind: "HTTPRoute", namespace: "shop", name: "checkout" })).revision;

  it("an operator's change waits for approval and leaves the live config untouched", async () => {
    expect(await admin.namespaces.protected.query()).toEqual([expect.objectContaining({ namespace: "shop", createdBy: "admin" })]);
    const result = await alice.resources.applyDocuments.mutate({ text: routeYaml({ v1: 0, v2: 100 }), message: "all to v2" });
    expect(result).toMatchObject({ status: "pending-approval", configVersion: 1n, changeRequest: { namespaces: ["shop"] } });
    expect(await live()).toBe(1);
    expect((await admin.mesh.status.query()).configVersion).toBe(1n);
    const request = await bob.changeRequests.byId.query({ id: result.changeRequest?.id as string });
    expect(request).toMatchObject({ status: "PENDING", authorName: "alice", message: "all to v2" });
    expect(request.changes[0]?.diff).toContainEqual({ op: "replace", path: "spec.rules[0].backendRefs[0].weight", from: 90, to: 0 });
  });

  it("the author cannot approve their own change, nor can a viewer; another operator can", async () => {
    const { changeRequest } = await alice.resources.applyDocuments.mutate({ text: routeYaml({ v1: 10, v2: 90 }) });
    const id = changeRequest?.id as string;
    const own = await alice.changeRequests.approve.mutate({ id }).catch((e: unknown) => e);
    expect(own).toBeInstanceOf(TRPCClientError);
    expect((own as TRPCClientError<never>).data).toMatchObject({ code: "FORBIDDEN" });
    const byViewer = await viewer.changeRequests.approve.mutate({ id }).catch((e: unknown) => e);
    expect((byViewer as TRPCClientError<never>).data).toMatchObject({ code: "FORBIDDEN" });
    expect(await live()).toBe(1);

    const approved = await bob.changeRequests.approve.mutate({ id, reason: "looks right" });
    expect(approved.request).toMatchObject({ status: "APPLIED", deciderName: "bob", configVersion: 2n });
    expect(approved.result.status).toBe("applied");
    expect(await live()).toBe(2);
    const [latest] = await admin.resources.history.query({ kind: "HTTPRoute", namespace: "shop", name: "checkout" });
    expect(latest).toMatchObject({ authorName: "alice", changeRequestId: id });
    expect(latest?.message).toContain("approved by bob: looks right");
    const again = await bob.changeRequests.approve.mutate({ id }).catch((e: unknown) => e);
    expect((again as TRPCClientError<never>).data).toMatchObject({ code: "CONFLICT" });
  });

  it("rejection leaves the live config untouched", async () => {
    const { changeRequest } = await alice.resources.applyDocuments.mutate({ text: `${routeYaml({ v1: 100, v2: 0 })}---\n${trafficPolicyYaml()}` });
    const rejected = await bob.changeRequests.reject.mutate({ id: changeRequest?.id as string, reason: "not during the sale" });
    expect(rejected).toMatchObject({ status: "REJECTED", decisionReason: "not during the sale" });
    expect(await live()).toBe(2);
    expect((await admin.resources.list.query()).map((r) => r.name)).toEqual(["checkout"]);
    expect((await admin.mesh.status.query()).configVersion).toBe(2n);
    expect((await admin.changeRequests.list.query({ status: "PENDING" })).map((r) => r.id)).not.toContain(changeRequest?.id);
  });

  it("admins change protected namespaces directly, and unprotected namespaces need no approval", async () => {
    expect((await admin.resources.applyDocuments.mutate({ text: routeYaml({ v1: 50, v2: 50 }) })).status).toBe("applied");
    await admin.namespaces.unprotect.mutate({ namespace: "shop" });
    expect((await alice.resources.applyDocuments.mutate({ text: routeYaml({ v1: 60, v2: 40 }) })).status).toBe("applied");
  });

  it("refuses to approve an out-of-date request (CONFLICT) and shows the reviewer the diff against the live revision", async () => {
    await admin.namespaces.protect.mutate({ namespace: "shop" });
    const before = await live();
    const { changeRequest } = await alice.resources.applyDocuments.mutate({ text: routeYaml({ v1: 20, v2: 80 }), message: "shift to v2" });
    const id = changeRequest?.id as string;
    const fresh = await bob.changeRequests.byId.query({ id });
    expect(fresh).toMatchObject({ stale: false, moved: [] });
    expect(fresh.changes[0]).toMatchObject({ fromRevision: before });

    // Someone changes the route directly while the request waits.
    expect((await admin.resources.applyDocuments.mutate({ text: routeYaml({ v1: 70, v2: 30 }), message: "hotfix" })).status).toBe("applied");
    const newer = await live();
    expect(newer).toBe(before + 1);

    const stale = await bob.changeRequests.byId.query({ id });
    expect(stale).toMatchObject({ status: "PENDING", stale: true, moved: [{ ref: { kind: "HTTPRoute", namespace: "shop", name: "checkout" }, requestedFrom: before, live: newer }] });
    // What approving would do now, against the hotfix; and what was asked for, against what it replaced.
    expect(stale.changes[0]).toMatchObject({ fromRevision: newer });
    expect(stale.changes[0]?.diff).toContainEqual({ op: "replace", path: "spec.rules[0].backendRefs[0].weight", from: 70, to: 20 });
    expect(stale.requestedChanges[0]).toMatchObject({ fromRevision: before });
    expect(stale.requestedChanges[0]?.diff).toContainEqual({ op: "replace", path: "spec.rules[0].backendRefs[0].weight", from: 60, to: 20 });

    const refused = await bob.changeRequests.approve.mutate({ id }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TRPCClientError);
    expect((refused as TRPCClientError<never>).data).toMatchObject({ code: "CONFLICT" });
    expect((refused as Error).message).toMatch(/out of date.*HTTPRoute\/shop\/checkout is at revision \d+, the request was made against revision \d+.*re-submit/);
    // The hotfix stays; the request stays pending (its author re-submits, or someone rejects it).
    expect(await live()).toBe(newer);
    const current = await admin.resources.get.query({ kind: "HTTPRoute", namespace: "shop", name: "checkout" });
    expect(JSON.stringify(current.document)).toContain('"weight":70');
    expect((await bob.changeRequests.byId.query({ id })).status).toBe("PENDING");
    await alice.changeRequests.reject.mutate({ id, reason: "re-submitting" });
  });

  it("audits the requests and decisions", async () => {
    const page = await admin.audit.list.query({ action: "changeRequests.*" });
    expect(page.events.map((e) => `${e.actorName} ${e.action} ${e.outcome}`)).toEqual(
      expect.arrayContaining(["bob changeRequests.approve SUCCESS", "alice changeRequests.approve DENIED", "victor changeRequests.approve DENIED", "bob changeRequests.reject SUCCESS"]),
    );
  });
});
