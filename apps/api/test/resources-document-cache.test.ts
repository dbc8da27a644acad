import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Principal } from "../src/access.ts";
import { DocumentCache } from "../src/features/resources/document-cache.ts";
import { StoredDocumentError, ResourcesRepository } from "../src/features/resources/resources.repository.ts";
import { parseDocuments, ResourcesService } from "../src/features/resources/resources.service.ts";
import { startTestManager, type TestManager } from "../src/testing.ts";
import { UnitOfWork } from "../src/unit-of-work.ts";
import { routeYaml, seedDiscovery } from "./support.ts";

// Each manager replica keeps the documents it read (by resource id and revision) across
// transactions; several replicas share one database. These tests run a second replica's
// resources service beside the test manager's, each with its own cache.
describe("resources: cached documents across transactions and replicas", () => {
  let m: TestManager;
  let principal: Principal;
  let other: { service: ResourcesService; uow: UnitOfWork; cache: DocumentCache };
  const weights = (resources: Awaited<ReturnType<ResourcesService["list"]>>, name = "checkout") => {
    const doc = resources.find((r) => r.name === name)?.document;
    return doc?.kind === "HTTPRoute" ? doc.spec.rules[0]?.backendRefs?.map((b) => b.weight) : undefined;
  };
  const apply = (service: ResourcesService, yaml: string, dryRun = false) => service.applyDocuments(principal, parseDocuments({ text: yaml }), { dryRun, message: "test" }).then((r) => r.value);

  beforeAll(async () => {
    m = await startTestManager();
    await seedDiscovery(m.db);
    const admin = await m.db.prisma.user.findFirstOrThrow({ where: { username: "admin" } });
    principal = { via: "session", userId: admin.id, username: admin.username, role: "ADMIN", bindings: [] };
    const cache = new DocumentCache();
    const uow = new UnitOfWork(m.db.prisma, cache);
    const currentMesh = async () => {
      const mesh = await m.services.mesh.get();
      if (!mesh) throw new Error("no mesh");
      return mesh;
    };
    other = { service: new ResourcesService(uow, new ResourcesRepository(m.db.prisma, cache), currentMesh), uow, cache };
  });
  afterAll(async () => {
    await m?.stop();
  });

  it("a write after another replica's write plans against the new document", async () => {
    expect(await apply(m.services.resources, routeYaml({ v1: 90, v2: 10 }))).toMatchObject({ status: "applied" });
    // The other replica reads (and keeps) revision 1.
    expect(weights(await other.service.list({}))).toEqual([90, 10]);
    expect(await apply(m.services.resources, routeYaml({ v1: 50, v2: 50 }))).toMatchObject({ status: "applied" });

    // Against revision 2, applying revision 2's content again changes nothing; a stale revision 1 would make it an update.
    expect(await apply(other.service, routeYaml({ v1: 50, v2: 50 }), true)).toMatchObject({ status: "unchanged" });
    const update = await apply(other.service, routeYaml({ v1: 0, v2: 100 }));
    expect(update).toMatchObject({ status: "applied", changes: [{ action: "update", fromRevision: 2 }] });
    expect(update.changes[0]?.textDiff).toContain("-          weight: 50");

    // And back: the first replica sees the other's revision 3 and its deletion.
    expect(weights(await m.services.resources.list({}))).toEqual([0, 100]);
    expect(await other.service.delete(principal, { kind: "HTTPRoute", namespace: "shop", name: "checkout" }, { dryRun: false, message: "gone" }).then((r) => r.value)).toMatchObject({ status: "applied" });
    expect(await m.services.resources.list({})).toEqual([]);
    const recreated = await apply(m.services.resources, routeYaml({ v1: 70, v2: 30 }));
    expect(recreated).toMatchObject({ status: "applied", changes: [{ action: "create" }] });
    expect(weights(await other.service.list({}))).toEqual([70, 30]);
    // Bounded by the live set: nothing but the one live route is kept.
    expect(other.cache.size).toBe(1);
  });

  it("a rolled-back transaction's read of its own revision is not kept", async () => {
    const mesh = await m.db.prisma.mesh.findUniqueOrThrow({ where: { name: "default" } });
    const live = (await other.service.list({})).find((r) => r.name === "checkout");
    if (!live) throw new Error("the route from the previous test is missing");
    const parsed = parseDocuments({ text: routeYaml({ v1: 1, v2: 99 }) });
    if (!parsed.ok) throw new Error("test document does not parse");
    const rolledBack = other.uow.run(async (tx) => {
      await tx.resources.writeRevision({ meshId: mesh.id, kind: "HTTPRoute", namespace: "shop", name: "checkout", document: parsed.resources[0] ?? null, authorId: null, authorName: "test", message: "never committed", diff: [], configVersion: 999n, action: "update", services: [], changeRequestId: null });
      // Inside the transaction, the list sees its own (uncommitted) revision.
      expect(weights(await tx.resources.list(mesh.id))).toEqual([1, 99]);
      throw new Error("roll back");
    });
    await expect(rolledBack).rejects.toThrow("roll back");
    // The same revision number, written for real by the other replica with another document.
    expect(await apply(m.services.resources, routeYaml({ v1: 20, v2: 80 }))).toMatchObject({ status: "applied", changes: [{ fromRevision: live.revision }] });
    const after = (await other.service.list({})).find((r) => r.name === "checkout");
    expect(after?.revision).toBe(live.revision + 1);
    expect(weights(await other.service.list({}))).toEqual([20, 80]);
  });

  it("a stored revision that no longer validates is an error when first read, by lists and by writes", async () => {
    // Both replicas hold the route's current revision.
    await other.service.list({});
    await m.services.resources.list({});
    const row = await m.db.prisma.resource.findFirstOrThrow({ where: { kind: "HTTPRoute", namespace: "shop", name: "checkout" } });
    // A revision stored before a schema tightened (written behind the service's back).
    await m.db.prisma.$transaction([
      m.db.prisma.resource.update({ where: { id: row.id }, data: { revision: row.revision + 1 } }),
      m.db.prisma.resourceRevision.create({
        data: {
          resourceId: row.id,
          revision: row.revision + 1,
          document: { apiVersion: "weft.io/v1alpha1", kind: "HTTPRoute", metadata: { name: "checkout", namespace: "shop" }, spec: { parentRefs: [{ name: 7 }], rules: [] } },
          authorName: "legacy",
          action: "update",
          diff: [],
          configVersion: 1000n,
          services: [],
        },
      }),
    ]);
    const message = `stored revision ${row.revision + 1} of HTTPRoute/shop/checkout no longer validates: spec.parentRefs[0].name: expected string, received number; spec.rules: must have at least one rule`;
    for (const service of [other.service, m.services.resources]) {
      const listed = await service.list({}).catch((e: unknown) => e);
      expect(listed).toBeInstanceOf(StoredDocumentError);
      expect((listed as Error).message).toBe(message);
      // Never kept as valid: the next write over the same state fails the same way.
      const write = await apply(service, routeYaml({ name: "other", v1: 10, v2: 90 })).catch((e: unknown) => e);
      expect(write).toBeInstanceOf(StoredDocumentError);
      expect((write as Error).message).toBe(message);
    }
  });
});
