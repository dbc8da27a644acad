// Joining, agent credentials, discovery reports, the config stream over real
// HTTP (SSE) and acknowledgements, against a real manager and database.
import { validateResource, type ClusterConfig } from "@weft/mesh-model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, agentClient, joinedAgent, sessionClient, startTestManager, type ApiClient, type TestManager } from "../src/testing.ts";
import { discoverySnapshot, openConfigStream, openRawConfigStream, type ConfigEvent } from "./agent-support.ts";
import { trafficPolicyYaml } from "./support.ts";

async function errorOf(promise: Promise<unknown>): Promise<{ code?: string; fieldErrors?: { path: string; code: string }[] | null; message: string }> {
  try {
    await promise;
  } catch (err) {
    const e = err as { message: string; data?: { code?: string; fieldErrors?: { path: string; code: string }[] | null } };
    return { code: e.data?.code, fieldErrors: e.data?.fieldErrors ?? null, message: e.message };
  }
  throw new Error("expected the call to fail");
}

describe("agents and config sync", () => {
  let m: TestManager;
  let admin: ApiClient;
  let east: Awaited<ReturnType<typeof joinedAgent>>;
  let west: Awaited<ReturnType<typeof joinedAgent>>;

  beforeAll(async () => {
    m = await startTestManager();
    admin = (await sessionClient(m.url, "admin", m.adminPassword)).client;
    east = await joinedAgent(admin, m.url, "east");
    west = await joinedAgent(admin, m.url, "west");
  });
  afterAll(async () => {
    await m?.stop();
  });

  describe("joining", () => {
    it("consumes the join token once and stores only hashes", async () => {
      const { cluster, joinToken, expiresAt } = await admin.clusters.create.mutate({ name: "north", joinTokenTtlHours: 2 });
      expect(joinToken).toMatch(/^weftjoin_/);
      expect(expiresAt.getTime() - Date.now()).toBeGreaterThan(1.9 * 3600_000);
      expect((await admin.clusters.byId.query({ id: cluster.id })).joinTokenPending).toBe(true);
      const anonymous = apiClient(m.url);
      const { credential, cluster: joined } = await anonymous.agent.join.mutate({ joinToken });
      expect(credential).toMatch(/^weftagent_/);
      expect(joined.name).toBe("north");
      expect((await errorOf(anonymous.agent.join.mutate({ joinToken }))).code).toBe("UNAUTHORIZED");
      const row = await m.db.prisma.cluster.findUniqueOrThrow({ where: { id: cluster.id }, include: { credentials: true } });
      expect(row.joinTokenHash).toBeNull();
      expect(row.credentials.map((c) => c.secretHash)).not.toContain(credential);
      expect(JSON.stringify(row)).not.toContain(credential.slice(10));
      expect((await agentClient(m.url, credential).agent.cluster.query()).name).toBe("north");
    });

    it("refuses a revoked or expired join token", async () => {
      const { cluster, joinToken } = await admin.clusters.create.mutate({ name: "south" });
      await admin.clusters.revokeJoinToken.mutate({ id: cluster.id });
      expect((await errorOf(apiClient(m.url).agent.join.mutate({ joinToken }))).code).toBe("UNAUTHORIZED");
      const again = await admin.clusters.createJoinToken.mutate({ id: cluster.id });
      await m.db.prisma.cluster.update({ where: { id: cluster.id }, data: { joinTokenExpiresAt: new Date(Date.now() - 1000) } });
      expect((await errorOf(apiClient(m.url).agent.join.mutate({ joinToken: again.joinToken }))).code).toBe("UNAUTHORIZED");
    });

    it("revoking credentials, and deleting the cluster, lock the agent out", async () => {
      const first = await joinedAgent(admin, m.url, "temp");
      expect((await first.client.agent.cluster.query()).name).toBe("temp");
      expect(await admin.clusters.revokeCredentials.mutate({ id: first.clusterId })).toEqual({ revoked: 1 });
      expect((await errorOf(first.client.agent.cluster.query())).code).toBe("UNAUTHORIZED");
      const { joinToken } = await admin.clusters.createJoinToken.mutate({ id: first.clusterId });
      const { credential } = await apiClient(m.url).agent.join.mutate({ joinToken });
      const second = agentClient(m.url, credential);
      expect((await second.agent.heartbeat.mutate({ agentVersion: "1.2.3" })).configVersion).toMatch(/^\d+$/);
      await admin.clusters.delete.mutate({ id: first.clusterId });
      expect((await errorOf(second.agent.cluster.query())).code).toBe("UNAUTHORIZED");
      expect((await admin.clusters.list.query()).map((c) => c.name)).not.toContain("temp");
    });

    it("records the agent's clock skew from its heartbeat", async () => {
      const agent = await joinedAgent(admin, m.url, "skewed");
      const skewOf = async () => (await admin.clusters.list.query()).find((c) => c.name === "skewed")?.clockSkewMs;
      expect(await skewOf()).toBeNull();
      await agent.client.agent.heartbeat.mutate({ agentVersion: "1.2.3", agentTime: new Date(Date.now() + 30_000) });
      // The request's transit time is in the measurement too.
      expect(await skewOf()).toBeGreaterThan(25_000);
      expect(await skewOf()).toBeLessThanOrEqual(30_000);
      await agent.client.agent.heartbeat.mutate({ agentTime: new Date(Date.now() - 3_600_000) });
      expect(await skewOf()).toBeLessThan(-3_590_000);
      await admin.clusters.delete.mutate({ id: agent.clusterId });
    });

    it("limits failed join attempts per address", async () => {
      const anonymous = apiClient(m.url);
      const codes: (string | undefined)[] = [];
      for (let i = 0; i < 12; i++) codes.push((await errorOf(anonymous.agent.join.mutate({ joinToken: `weftjoin_guess${i}` }))).code);
      expect(codes.slice(0, 3)).toEqual(["UNAUTHORIZED", "UNAUTHORIZED", "UNAUTHORIZED"]);
      expect(codes.at(-1)).toBe("TOO_MANY_REQUESTS");
    });
  });

  describe("discovery reports", () => {
    it("a full resync writes the cluster's rows and removes what is absent", async () => {
      await east.client.agent.resyncDiscovery.mutate(discoverySnapshot(1, [{ name: "checkout", versions: ["v1", "v2"] }, { name: "cart", versions: ["v1"] }, { name: "legacy", versions: ["v1"] }]));
      const result = await east.client.agent.resyncDiscovery.mutate(discoverySnapshot(2, [{ name: "checkout", versions: ["v1", "v2"], zone: "eu-1a" }, { name: "cart", versions: ["v1"] }]));
      expect(result).toMatchObject({ seq: 2, counts: { services: 2, workloads: 3, endpoints: 3 } });
      const services = await m.db.prisma.service.findMany({ where: { cluster: { name: "east" } }, select: { name: true }, orderBy: { name: "asc" } });
      expect(services.map((s) => s.name)).toEqual(["cart", "checkout"]);
      const endpoint = await m.db.prisma.endpoint.findFirstOrThrow({ where: { service: { name: "checkout", cluster: { name: "east" } }, workload: { version: "v2" } } });
      expect(endpoint).toMatchObject({ version: "v2", zone: "eu-1a", protocol: "HTTP", healthy: true });
    });

    it("applies a delta on top of the last report and asks for a resync otherwise", async () => {
      const before = await east.client.agent.resyncDiscovery.mutate(discoverySnapshot(10, [{ name: "checkout", versions: ["v1"] }]));
      expect(before.seq).toBe(10);
      const delta = await east.client.agent.reportDiscovery.mutate({
        seq: 11,
        baseSeq: 10,
        services: { added: [{ namespace: "shop", name: "reviews", ports: [{ port: 9080, protocol: "http" }] }] },
        workloads: { added: [{ namespace: "shop", name: "reviews-v3", serviceAccount: "reviews", version: "v3" }] },
        endpoints: { added: [{ namespace: "shop", service: "reviews", address: "10.2.0.1", port: 9080, protocol: "http", ready: false, workload: "reviews-v3" }] },
      });
      expect(delta).toMatchObject({ seq: 11, catalogChanged: true, counts: { services: 2, workloads: 2, endpoints: 2 } });
      const stale = await errorOf(east.client.agent.reportDiscovery.mutate({ seq: 12, baseSeq: 10, services: { removed: [{ namespace: "shop", name: "reviews" }] } }));
      expect(stale.code).toBe("CONFLICT");
      const removed = await east.client.agent.reportDiscovery.mutate({ seq: 12, baseSeq: 11, services: { removed: [{ namespace: "shop", name: "reviews" }] } });
      expect(removed.counts).toEqual({ services: 1, workloads: 2, endpoints: 1 });
    });

    it("refuses bad reports with field paths and writes nothing of them", async () => {
      await east.client.agent.resyncDiscovery.mutate(discoverySnapshot(20, [{ name: "checkout", versions: ["v1"] }]));
      const before = await m.db.prisma.service.count({ where: { cluster: { name: "east" } } });
      const schema = await errorOf(
        east.client.agent.resyncDiscovery.mutate({ ...discoverySnapshot(21, [{ name: "cart", versions: ["v1"] }]), endpoints: [{ namespace: "shop", service: "cart", address: "10.0.0.1", port: 70000, protocol: "http", ready: true }] }),
      );
      expect(schema.code).toBe("BAD_REQUEST");
      expect(schema.fieldErrors?.map((f) => f.path)).toEqual(["endpoints[0].port"]);
      const refs = await errorOf(
        east.client.agent.resyncDiscovery.mutate({
          ...discoverySnapshot(21, [{ name: "cart", versions: ["v1"] }]),
          endpoints: [
            { namespace: "shop", service: "cart", address: "10.0.0.1", port: 80, protocol: "http", ready: true, workload: "ghost" },
            { namespace: "shop", service: "nowhere", address: "10.0.0.2", port: 80, protocol: "http", ready: true },
          ],
        }),
      );
      expect(refs.fieldErrors?.map((f) => `${f.path}: ${f.code}`)).toEqual(["endpoints[0].workload: unknown_workload", "endpoints[1].service: unknown_service"]);
      expect(await m.db.prisma.service.count({ where: { cluster: { name: "east" } } })).toBe(before);
      expect((await m.db.prisma.cluster.findFirstOrThrow({ where: { name: "east" } })).discoverySeq).toBe(20n);
    });
  });

  describe("config stream", () => {
    it("sends a snapshot on connect, then on every config or catalog change, and resumes by event id", async () => {
      await west.client.agent.resyncDiscovery.mutate(discoverySnapshot(1, [{ name: "checkout", versions: ["v1", "v2"], zone: "us-1b" }], { address: "west-gw.example", port: 15443 }));
      await east.client.agent.resyncDiscovery.mutate(discoverySnapshot(30, [{ name: "cart", versions: ["v1"] }]));
      const stream = openConfigStream(east.client);
      try {
        const first = await stream.next();
        expect(first.data.cluster).toBe("east");
        expect(first.id).toBe(`${first.data.configVersion}.${first.data.catalogVersion}.${first.id.split(".")[2]}`);
        const checkout = first.data.catalog.find((s) => s.name === "checkout");
        expect(checkout?.clusters).toEqual([
          { cluster: "west", region: null, gateway: { address: "west-gw.example", port: 15443 }, versions: ["v1", "v2"], endpoints: [{ version: "v1", zone: "us-1b", healthy: 1, total: 1, sidecar: true, serviceAccounts: ["checkout"] }, { version: "v2", zone: "us-1b", healthy: 1, total: 1, sidecar: true, serviceAccounts: ["checkout"] }] },
        ]);
        expect(first.data.catalog.flatMap((s) => s.clusters.map((c) => c.cluster))).not.toContain("east");

        const applied = await admin.resources.applyDocuments.mutate({ text: trafficPolicyYaml({ name: "cart", service: "cart" }) });
        const second = await stream.next();
        expect(second.data.configVersion).toBe(applied.configVersion.toString());
        expect(second.data.resources.map((r) => `${r.kind}/${r.metadata.name}`)).toContain("TrafficPolicy/cart");
        // Content keys for the agents' parse cache: a revision id per resource, and a catalog digest a resource write leaves as it was.
        expect(second.data.resourceRevisions).toHaveLength(second.data.resources.length);
        expect(new Set(second.data.resourceRevisions).size).toBe(second.data.resources.length);
        expect(second.data.catalogDigest).toMatch(/^[0-9a-f]{32}$/);
        expect(second.data.catalogDigest).toBe(first.data.catalogDigest);
        const cartAt = (e: ConfigEvent) => e.data.resourceRevisions?.[e.data.resources.findIndex((r) => r.kind === "TrafficPolicy" && r.metadata.name === "cart")];

        await west.client.agent.reportDiscovery.mutate({ seq: 2, baseSeq: 1, services: { added: [{ namespace: "shop", name: "reviews", ports: [] }] } });
        const third = await stream.next();
        expect(third.data.catalog.map((s) => s.name)).toContain("reviews");
        expect(third.data.catalogDigest).not.toBe(second.data.catalogDigest);
        expect(cartAt(third)).toBe(cartAt(second));

        // East's own discovery does not change east's view: nothing is sent.
        await east.client.agent.resyncDiscovery.mutate(discoverySnapshot(31, [{ name: "cart", versions: ["v1", "v2"] }]));
        await new Promise((r) => setTimeout(r, 300));
        expect(stream.pending()).toBe(0);

        // Reconnecting with the id of what it holds: no snapshot until something changes.
        stream.close();
        const resumed = openConfigStream(east.client, third.id);
        try {
          await new Promise((r) => setTimeout(r, 500));
          expect(resumed.pending()).toBe(0);
          const changed = await admin.resources.applyDocuments.mutate({ text: trafficPolicyYaml({ name: "cart", service: "checkout" }) });
          const got = await resumed.next();
          expect(got.data.configVersion).toBe(changed.configVersion.toString());
          expect(BigInt(got.data.configVersion)).toBe(BigInt(second.data.configVersion) + 1n);
          // The changed resource has a new revision id.
          expect(cartAt(got)).not.toBe(cartAt(second));
        } finally {
          resumed.close();
        }
        // An outdated id gets the current snapshot at once.
        const outdated = openConfigStream(east.client, first.id);
        try {
          expect((await outdated.next()).data.configVersion).toBe((await admin.mesh.status.query()).configVersion.toString());
        } finally {
          outdated.close();
        }
      } finally {
        stream.close();
      }
    });

    it("builds a cluster's config once per version for all of its streams, and again after a change", async () => {
      const a = openConfigStream(west.client);
      const b = openConfigStream(west.client);
      try {
        const [first, second] = await Promise.all([a.next(), b.next()]);
        expect(second.id).toBe(first.id);
        const builds = m.services.distribution.stats.builds;
        // A third agent of the cluster connecting to the same version: served what was built, nothing built.
        const c = openConfigStream(west.client);
        try {
          expect((await c.next()).id).toBe(first.id);
        } finally {
          c.close();
        }
        expect(m.services.distribution.stats.builds).toBe(builds);

        const applied = await admin.resources.applyDocuments.mutate({ text: trafficPolicyYaml({ name: "shared-build", service: "shared-build" }) });
        const [x, y] = await Promise.all([a.next(), b.next()]);
        expect(x.data.configVersion).toBe(applied.configVersion.toString());
        expect(y.id).toBe(x.id);
        expect(x.id).not.toBe(first.id);
        expect(x.data.resources.map((r) => r.metadata.name)).toContain("shared-build");
        expect(m.services.distribution.stats.builds).toBe(builds + 1);
      } finally {
        a.close();
        b.close();
      }
    });

    it("sends the same bytes of one config version to every stream of a cluster, valid and what the client reads; a new version anew", async () => {
      const a = openRawConfigStream(m.url, west.credential);
      const b = openRawConfigStream(m.url, west.credential);
      const typed = openConfigStream(west.client);
      try {
        const [first, second, parsed] = await Promise.all([a.next(), b.next(), typed.next()]);
        expect(second.id).toBe(first.id);
        expect(second.line.equals(first.line)).toBe(true);
        expect(parsed.id).toBe(first.id);
        const wire = JSON.parse(first.line.toString("utf8").slice("data: ".length)) as { json: ClusterConfig };
        // Exactly the config the tRPC client reads, and every resource in it valid by the shared schema.
        expect(wire).toEqual({ json: parsed.data });
        for (const r of wire.json.resources) expect(validateResource(r).ok).toBe(true);

        const applied = await admin.resources.applyDocuments.mutate({ text: trafficPolicyYaml({ name: "shared-bytes", service: "shared-bytes" }) });
        const [x, y] = await Promise.all([a.next(), b.next()]);
        expect(x.id).not.toBe(first.id);
        expect(y.line.equals(x.line)).toBe(true);
        const changed = (JSON.parse(x.line.toString("utf8").slice("data: ".length)) as { json: ClusterConfig }).json;
        expect(changed.configVersion).toBe(applied.configVersion.toString());
        expect(changed.resources.map((r) => r.metadata.name)).toContain("shared-bytes");
        expect((await typed.next()).data).toEqual(changed);
      } finally {
        typed.close();
        await Promise.all([a.close(), b.close()]);
      }
    });

    it("records applied and rejected versions on the cluster, and rejections in the audit log", async () => {
      const version = (await admin.mesh.status.query()).configVersion;
      await east.client.agent.ackConfig.mutate({ configVersion: version.toString(), status: "applied", proxies: [{ proxy: "shop/cart-v1", status: "applied" }, { proxy: "shop/cart-v2", status: "applied" }] });
      let cluster = await admin.clusters.byId.query({ id: east.clusterId });
      expect(cluster.sync).toEqual({ state: "in-sync", meshConfigVersion: version, appliedConfigVersion: version });
      expect(cluster.proxyCounts).toEqual({ total: 2, applied: 2, rejected: 0 });

      const next = await admin.resources.applyDocuments.mutate({ text: trafficPolicyYaml({ name: "cart", service: "cart" }) });
      expect((await admin.clusters.byId.query({ id: east.clusterId })).sync.state).toBe("behind");
      await east.client.agent.ackConfig.mutate({
        configVersion: next.configVersion.toString(),
        status: "rejected",
        reason: "proxy shop/cart-v2 refused: listener port 8080 in use",
        proxies: [{ proxy: "shop/cart-v1", status: "applied" }, { proxy: "shop/cart-v2", status: "rejected", reason: "listener port 8080 in use" }],
      });
      cluster = await admin.clusters.byId.query({ id: east.clusterId });
      expect(cluster.sync.state).toBe("rejected");
      expect(cluster.sync.appliedConfigVersion).toBe(version);
      expect(cluster.lastRejection).toMatchObject({ version: next.configVersion, reason: "proxy shop/cart-v2 refused: listener port 8080 in use", proxies: [{ proxy: "shop/cart-v2", reason: "listener port 8080 in use" }] });
      expect(cluster.proxyCounts).toEqual({ total: 2, applied: 1, rejected: 1 });
      const audit = await admin.audit.list.query({ action: "config.rejected" });
      expect(audit.events[0]).toMatchObject({ actorType: "AGENT", actorName: "agent:east", cluster: "east", outcome: "FAILURE", details: { configVersion: next.configVersion.toString() } });

      const future = await errorOf(east.client.agent.ackConfig.mutate({ configVersion: (next.configVersion + 5n).toString(), status: "applied" }));
      expect(future.fieldErrors?.map((f) => f.path)).toEqual(["configVersion"]);
      expect((await errorOf(east.client.agent.ackConfig.mutate({ configVersion: "1", status: "rejected" }))).fieldErrors?.map((f) => f.path)).toEqual(["reason"]);
    });

    it("lists clusters with status, last seen, applied version and counts", async () => {
      const list = await admin.clusters.list.query();
      const eastView = list.find((c) => c.name === "east");
      expect(eastView).toMatchObject({ status: "CONNECTED", agentVersion: "test", counts: { services: 1, workloads: 2, endpoints: 2 } });
      expect(eastView?.lastSeenAt).toBeInstanceOf(Date);
      expect(list.find((c) => c.name === "west")?.gateway).toEqual({ address: "west-gw.example", port: 15443 });
    });
  });
});
