// The manager's mesh CA: generated at start, imported by an operator, signing
// cluster intermediates only for the cluster that asks, revocation reaching
// every other cluster's config, and no private key in any answer or log line.
import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { createIntermediateCsr, generateMeshRoot, openPrivateKey } from "@weft/identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.ts";
import { agentClient, apiClient, joinedAgent, sessionClient, startTestManager, tokenClient, type ApiClient, type TestManager } from "../src/testing.ts";
import { openConfigStream } from "./agent-support.ts";
import { identitySettings, refusal, SimulatedAgent } from "./identity-support.ts";
import { userWithToken } from "./support.ts";

/** The base64 body lines of a PEM (what would show if the key leaked in any encoding of its text). */
function pemBody(pem: string): string[] {
  return pem.split("\n").filter((l) => l.length >= 40 && !l.startsWith("-----"));
}

describe("without a CA key (real DATABASE_URL, WEFT_CA_KEY unset)", () => {
  let m: TestManager;
  beforeAll(async () => {
    m = await startTestManager();
  });
  afterAll(async () => {
    await m?.stop();
  });

  it("starts, has no CA, and refuses identity calls naming WEFT_CA_KEY", async () => {
    const admin = (await sessionClient(m.url, "admin", m.adminPassword)).client;
    expect(await admin.identity.trustBundle.query()).toBeNull();
    expect((await admin.identity.authorities.query()).caKeyConfigured).toBe(false);
    const east = await joinedAgent(admin, m.url, "east");
    const csr = await createIntermediateCsr({ cluster: "east", trustDomain: "weft.local" });
    const refused = await refusal(east.client.agent.signIntermediate.mutate({ csrPem: csr.csrPem }));
    expect(refused).toMatchObject({ code: "PRECONDITION_FAILED", message: expect.stringContaining("WEFT_CA_KEY") });
    expect(await refusal(admin.identity.rotation.start.mutate({}))).toMatchObject({ code: "PRECONDITION_FAILED", message: expect.stringContaining("WEFT_CA_KEY") });
    const stream = openConfigStream(east.client);
    try {
      expect((await stream.next()).data.trust).toBeNull();
    } finally {
      stream.close();
    }
  });
});

describe("the mesh CA", () => {
  const caKey = randomBytes(32);
  const logLines: string[] = [];
  const bodies: string[] = [];
  const pending: Promise<void>[] = [];
  const secrets: string[] = [caKey.toString("base64")];
  let m: TestManager;
  let admin: ApiClient;
  let viewer: ApiClient;
  let east: SimulatedAgent;
  let west: SimulatedAgent;
  let eastClient: ApiClient;
  let eastCredential: string;

  /** A client whose every response body is kept for the leak check. */
  const recording = (headers: () => Record<string, string>): ApiClient => apiClient(m.url, headers, (res) => void pending.push(res.clone().text().then((b) => void bodies.push(b))));

  beforeAll(async () => {
    m = await startTestManager({ log: createLogger("trace", new Writable({ write: (c, _e, done) => (logLines.push(String(c)), done()) })), settings: identitySettings(caKey) });
    const session = await sessionClient(m.url, "admin", m.adminPassword, (res) => void pending.push(res.clone().text().then((b) => void bodies.push(b))));
    admin = session.client;
    viewer = tokenClient(m.url, (await userWithToken(admin, m.url, sessionClient, "vera", "VIEWER")).token);
    const eastJoined = await joinedAgent(admin, m.url, "east");
    eastCredential = eastJoined.credential;
    eastClient = recording(() => ({ authorization: `Bearer ${eastJoined.credential}` }));
    east = new SimulatedAgent("east", eastClient);
    const westJoined = await joinedAgent(admin, m.url, "west");
    west = new SimulatedAgent("west", recording(() => ({ authorization: `Bearer ${westJoined.credential}` })));
  });
  afterAll(async () => {
    await m?.stop();
  });

  it("generated a P-256 root for the trust domain at start and stored its key sealed", async () => {
    const view = await admin.identity.authorities.query();
    expect(view.caKeyConfigured).toBe(true);
    expect(view.authorities).toHaveLength(1);
    expect(view.authorities[0]).toMatchObject({ state: "ACTIVE", origin: "generated", isRoot: true, subject: expect.stringContaining("Weft mesh root") });
    const years = (view.authorities[0]!.notAfter.getTime() - view.authorities[0]!.notBefore.getTime()) / (365 * 24 * 3600_000);
    expect(years).toBeGreaterThan(9.9);
    const trust = await viewer.identity.trustBundle.query();
    expect(trust?.rootsPem).toHaveLength(1);
    expect(trust?.issuingRootFingerprint).toBe(view.authorities[0]!.anchorFingerprint);
    const row = await m.db.prisma.meshAuthority.findFirstOrThrow();
    expect(row.sealedKey).not.toContain("PRIVATE KEY");
    // The sealed key opens with the CA key only: collect the clear key's text for the leak check.
    secrets.push(...pemBody(openPrivateKey(row.sealedKey, caKey, { context: `weft/mesh-authority/${row.id}` }).exportPem()));
  });

  it("imports an operator root before any cluster holds an intermediate, naming the field of a bad input", async () => {
    const operator = await generateMeshRoot({ trustDomain: "weft.local" });
    const other = await generateMeshRoot({ trustDomain: "weft.local" });
    const foreign = await generateMeshRoot({ trustDomain: "other.example" });
    secrets.push(...pemBody(operator.key.exportPem()), ...pemBody(other.key.exportPem()));
    expect(await refusal(viewer.identity.importAuthority.mutate({ certificatePem: operator.certificatePem, keyPem: operator.key.exportPem() }))).toMatchObject({ code: "FORBIDDEN" });
    const mismatch = await refusal(admin.identity.importAuthority.mutate({ certificatePem: operator.certificatePem, keyPem: other.key.exportPem() }));
    expect(mismatch).toMatchObject({ code: "BAD_REQUEST", fieldErrors: [expect.objectContaining({ path: "keyPem" })] });
    const wrongDomain = await refusal(admin.identity.importAuthority.mutate({ certificatePem: foreign.certificatePem, keyPem: foreign.key.exportPem() }));
    expect(wrongDomain).toMatchObject({ code: "BAD_REQUEST", fieldErrors: [expect.objectContaining({ path: "certificatePem" })] });
    const notAKey = await refusal(admin.identity.importAuthority.mutate({ certificatePem: operator.certificatePem, keyPem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" }));
    expect(notAKey).toMatchObject({ code: "BAD_REQUEST", fieldErrors: [expect.objectContaining({ path: "keyPem" })] });

    const imported = await admin.identity.importAuthority.mutate({ certificatePem: operator.certificatePem, keyPem: operator.key.exportPem() });
    expect(imported).toMatchObject({ state: "ACTIVE", origin: "imported" });
    const view = await admin.identity.authorities.query();
    expect(view.authorities.map((a) => [a.origin, a.state])).toEqual([
      ["imported", "ACTIVE"],
      ["generated", "RETIRED"],
    ]);
    const trust = await admin.identity.trustBundle.query();
    expect(trust?.rootsPem).toEqual([operator.certificatePem]);
    expect(trust?.issuingRootFingerprint).toBe(imported.anchorFingerprint);
    const audit = await admin.audit.list.query({ action: "identity.importAuthority" });
    expect(audit.events[0]).toMatchObject({ outcome: "SUCCESS", actorName: "admin" });
  });

  it("signs the asking cluster's intermediate under the active root, and then refuses a plain import", async () => {
    const signed = await east.renewIntermediate();
    const trust = await admin.identity.trustBundle.query();
    expect(signed.rootFingerprint).toBe(trust?.issuingRootFingerprint);
    expect(signed.chainPem).toEqual([]);
    expect(Date.parse(signed.notAfter)).toBeGreaterThan(Date.now() + 80 * 24 * 3600_000);
    const view = await admin.identity.authorities.query();
    expect(view.clusters).toEqual([expect.objectContaining({ cluster: "east", current: expect.objectContaining({ status: "current", rootFingerprint: signed.rootFingerprint }), past: [] })]);
    const again = await generateMeshRoot({ trustDomain: "weft.local" });
    secrets.push(...pemBody(again.key.exportPem()));
    const refused = await refusal(admin.identity.importAuthority.mutate({ certificatePem: again.certificatePem, keyPem: again.key.exportPem() }));
    expect(refused).toMatchObject({ code: "CONFLICT", message: expect.stringContaining("identity.rotation.start") });
  });

  it("an east agent cannot get an intermediate for west: the CSR naming west is refused and nothing is stored", async () => {
    const before = await m.db.prisma.clusterIntermediate.count();
    const forWest = await createIntermediateCsr({ cluster: "west", trustDomain: "weft.local" });
    const refused = await refusal(eastClient.agent.signIntermediate.mutate({ csrPem: forWest.csrPem }));
    expect(refused).toMatchObject({ code: "FORBIDDEN", fieldErrors: [expect.objectContaining({ path: "csr.subject.CN" })] });
    expect(await refusal(eastClient.agent.signIntermediate.mutate({ csrPem: "-----BEGIN CERTIFICATE REQUEST-----\nnope\n-----END CERTIFICATE REQUEST-----\n" }))).toMatchObject({ code: "BAD_REQUEST" });
    expect(await m.db.prisma.clusterIntermediate.count()).toBe(before);
    const denied = await admin.audit.list.query({ action: "agent.signIntermediate" });
    expect(denied.events.map((e) => e.outcome)).toContain("DENIED");
  });

  it("keeps each cluster's workload certificate inventory, with expiry warnings", async () => {
    await east.reissue();
    expect(await east.report()).toBe(2);
    await west.renewIntermediate();
    const now = Date.now();
    const trust = await admin.identity.trustBundle.query();
    // One SVID that missed its renewal: 23 of its 24 hours gone.
    const stale = { spiffeId: "spiffe://weft.local/ns/shop/sa/cart", subject: "O=Weft", issuer: "O=Weft, OU=weft-cluster, CN=west", serial: "0a1b", notBefore: new Date(now - 23 * 3600_000).toISOString(), notAfter: new Date(now + 3600_000).toISOString(), rootFingerprint: trust!.issuingRootFingerprint };
    expect((await west.client.agent.reportCertificates.mutate({ certificates: [stale] })).stored).toBe(1);
    const duplicate = await refusal(west.client.agent.reportCertificates.mutate({ certificates: [stale, stale] }));
    expect(duplicate).toMatchObject({ code: "BAD_REQUEST", fieldErrors: [expect.objectContaining({ path: "certificates[1].serial" })] });

    const all = await viewer.identity.certificates.query({});
    expect(all.items.filter((i) => i.kind === "workload").map((i) => i.cluster).sort()).toEqual(["east", "east", "west"]);
    expect(all.items.filter((i) => i.kind === "intermediate").map((i) => i.cluster).sort()).toEqual(["east", "west"]);
    expect(all.items[0]).toMatchObject({ cluster: "west", serial: "0a1b", expiryWarning: true });
    expect(all.items.filter((i) => i.expiryWarning)).toHaveLength(1);
    const soon = await viewer.identity.certificates.query({ expiringWithinHours: 2 });
    expect(soon.items.map((i) => i.serial)).toEqual(["0a1b"]);
    expect((await viewer.identity.certificates.query({ cluster: "east" })).items.every((i) => i.cluster === "east")).toBe(true);
  });

  it("records the trust bundle a cluster's proxies all run", async () => {
    const trust = (await admin.identity.trustBundle.query())!;
    const future = await refusal(east.client.agent.ackTrustBundle.mutate({ bundleVersion: (BigInt(trust.bundleVersion) + 5n).toString(), proxies: { total: 1, current: 1 } }));
    expect(future).toMatchObject({ code: "BAD_REQUEST", fieldErrors: [expect.objectContaining({ path: "bundleVersion" })] });
    await east.client.agent.ackTrustBundle.mutate({ bundleVersion: trust.bundleVersion, proxies: { total: 3, current: 2 } });
    expect((await m.db.prisma.cluster.findFirstOrThrow({ where: { name: "east" } })).trustBundleVersion).toBeNull();
    await east.ack(trust);
    expect((await m.db.prisma.cluster.findFirstOrThrow({ where: { name: "east" } })).trustBundleVersion).toBe(BigInt(trust.bundleVersion));
  });

  it("a revoked cluster's intermediates reach every other cluster's next config, and survive the cluster's deletion", async () => {
    const stream = openConfigStream(agentClient(m.url, eastCredential));
    try {
      const first = await stream.next();
      expect(first.data.trust?.revokedFingerprints).toEqual([]);
      const westIntermediate = (await admin.identity.authorities.query()).clusters.find((c) => c.cluster === "west")!.current!;
      expect(await refusal(viewer.identity.revokeCluster.mutate({ cluster: "west" }))).toMatchObject({ code: "FORBIDDEN" });
      const revoked = await admin.identity.revokeCluster.mutate({ cluster: "west" });
      expect(revoked.revoked).toBe(1);
      const next = await stream.next();
      expect(next.data.trust?.bundleVersion).toBe(revoked.bundleVersion);
      expect(next.data.trust?.revokedFingerprints).toEqual([westIntermediate.fingerprint]);
      expect((await admin.identity.authorities.query()).clusters.find((c) => c.cluster === "west")).toMatchObject({ current: null, past: [expect.objectContaining({ status: "revoked" })] });

      // A cluster deleted with a valid intermediate: its fingerprint stays on the list.
      const north = await joinedAgent(admin, m.url, "north");
      const northAgent = new SimulatedAgent("north", north.client);
      await northAgent.renewIntermediate();
      const northIntermediate = (await admin.identity.authorities.query()).clusters.find((c) => c.cluster === "north")!.current!;
      await admin.clusters.delete.mutate({ id: north.clusterId });
      let latest = await stream.next();
      while (!latest.data.trust?.revokedFingerprints.includes(northIntermediate.fingerprint)) latest = await stream.next();
      expect(latest.data.trust?.revokedFingerprints).toEqual([westIntermediate.fingerprint, northIntermediate.fingerprint].sort());
      expect((await admin.identity.trustBundle.query())?.revokedFingerprints).toContain(northIntermediate.fingerprint);
    } finally {
      stream.close();
    }
  });

  it("never put a private key in an answer or a log line", async () => {
    await Promise.all(pending);
    expect(bodies.length).toBeGreaterThan(10);
    expect(logLines.some((l) => l.includes("signed a cluster intermediate"))).toBe(true);
    const all = [...bodies, ...logLines];
    expect(all.filter((t) => t.includes("PRIVATE KEY"))).toEqual([]);
    for (const text of all) for (const secret of secrets) expect(text).not.toContain(secret);
  });
});
