import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BACKDATE_MS, createTrustBundle, parseCertificate, splitPemCertificates, validateSvidChain, type CertificateAuthority } from "@weft/identity";
import type { ClusterTrust } from "@weft/mesh-model";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MemoryLogger } from "../logger.ts";
import { IdentityController, type ProxyIdentityProbe } from "./identity-controller.ts";
import { chainRootFingerprint, intermediateRenewalReason, localIdentities, renewAtOf, svidRenewAt, type IntermediateFacts } from "./identity-decisions.ts";
import { IdentityFiles, type LocalIdentity } from "./identity-files.ts";
import { InMemoryIdentityManager } from "./in-memory-identity-manager.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TD = "mesh.test";

describe("intermediateRenewalReason", () => {
  const trust: ClusterTrust = { bundleVersion: "1", rootsPem: [], issuingRootFingerprint: "a".repeat(64), revokedFingerprints: ["f".repeat(64)] };
  const start = new Date("2030-01-01T00:00:00Z");
  const good: IntermediateFacts = { fingerprint: "1".repeat(64), rootFingerprint: "a".repeat(64), notBefore: start, notAfter: new Date(start.getTime() + 90 * DAY) };
  it.each([
    ["none stored", undefined, 1, "none"],
    ["good, early in its life", good, 1, undefined],
    ["chains to another root", { ...good, rootFingerprint: "b".repeat(64) }, 1, "other-root"],
    ["chains to no root of the bundle", { ...good, rootFingerprint: undefined }, 1, "other-root"],
    ["revoked", { ...good, fingerprint: "f".repeat(64) }, 1, "revoked"],
    ["one day before half-life", good, 44, undefined],
    ["past half-life", good, 46, "half-life"],
    ["expired", good, 91, "half-life"],
  ])("%s", (_, facts, day, reason) => {
    expect(intermediateRenewalReason(facts as IntermediateFacts | undefined, trust, new Date(start.getTime() + day * DAY))).toBe(reason);
  });
});

describe("svidRenewAt", () => {
  it.each([
    ["same issuer: unchanged", "i1", 0.5, 50_000],
    ["new issuer: within the spread window", "i2", 0.5, 1_500],
    ["new issuer, earliest draw: at once", "i2", 0, 0],
  ])("%s", (_, issuer, draw, expected) => {
    expect(svidRenewAt({ issuedUnder: "i1", renewAt: 50_000 }, issuer, 0, () => draw, 3000)).toBe(expected);
  });
});

describe("renewAtOf", () => {
  it.each([
    ["24 h SVID", DAY, 12 * HOUR],
    // notBefore is backdated a minute: the half-life still counts from issue.
    ["12 s SVID", 12_000, 6_000],
  ])("renews a %s at half its remaining life", (_, ttl, expected) => {
    const now = new Date("2030-01-01T00:00:00Z");
    const validity = { notBefore: new Date(now.getTime() - 60_000), notAfter: new Date(now.getTime() + ttl) };
    expect(renewAtOf(validity, now, () => 0.5) - now.getTime()).toBe(expected);
  });
});

describe("local identities", () => {
  it("gives instances with the same namespace and service account one identity", () => {
    const proxy = { inboundPort: 1, outboundPort: 2, adminPort: 3, inboundAddress: "127.0.0.1", localPorts: [] };
    const inst = (sa: string) => ({ address: "127.0.0.1", port: 80, ready: true, serviceAccount: sa, labels: {}, proxy });
    const file = {
      services: [
        { name: "web", namespace: "shop", protocol: "http", labels: {}, instances: [inst("web"), inst("web")] },
        { name: "api", namespace: "shop", protocol: "http", labels: {}, instances: [inst("api"), { ...inst("x"), proxy: undefined }] },
      ],
    };
    expect(localIdentities(file as never)).toEqual([
      { namespace: "shop", serviceAccount: "api" },
      { namespace: "shop", serviceAccount: "web" },
    ]);
  });
});

describe("the identity controller", () => {
  let dir: string;
  let clock: number;
  let manager: InMemoryIdentityManager;
  let logger: MemoryLogger;
  let controllers: IdentityController[];
  /** What each fake proxy (by admin port) runs. */
  let proxies: Map<number, { trustBundleFingerprint?: string; serial?: string } | null>;
  const now = () => new Date(clock);
  const web: LocalIdentity = { namespace: "shop", serviceAccount: "web" };
  const api: LocalIdentity = { namespace: "shop", serviceAccount: "api" };
  const probe: ProxyIdentityProbe = async (port) => proxies.get(port) ?? null;

  const controller = (overrides: { manager?: InMemoryIdentityManager | undefined } = {}) => {
    const c = new IdentityController({
      cluster: "east",
      files: new IdentityFiles(dir),
      manager: "manager" in overrides ? overrides.manager : manager,
      probe,
      logger,
      svidTtlMs: DAY,
      now,
      random: () => 0.5,
      schedule: false,
    });
    controllers.push(c);
    return c;
  };
  const feed = async (c: IdentityController, trust: ClusterTrust | null = manager.trust(), identities = [web, api]) => {
    c.update({ trustDomain: TD, trust, identities, proxies: [{ id: "shop/web-1", adminPort: 1 }, { id: "shop/api-1", adminPort: 2 }] });
    await c.tick();
  };
  const svidOf = async (id: LocalIdentity) => {
    const files = new IdentityFiles(dir);
    const [leaf, ...chain] = splitPemCertificates(await readFile(files.svidCertPath(id), "utf8"));
    return { leaf: parseCertificate(leaf!), chain, key: await readFile(files.svidKeyPath(id), "utf8") };
  };
  /** The fake proxies (web on admin port 1, api on 2) load their current SVID files, as real ones do within a second. */
  const proxiesLoadSvids = async () => {
    for (const [port, id] of [[1, web], [2, api]] as const) proxies.set(port, { ...proxies.get(port), serial: (await svidOf(id)).leaf.serial });
  };
  const bundleRoots = async () => createTrustBundle(TD, await readFile(new IdentityFiles(dir).bundlePath, "utf8"));

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "weft-identity-"));
    clock = Date.now();
    manager = await InMemoryIdentityManager.withCa(TD, "east", now);
    logger = new MemoryLogger();
    controllers = [];
    proxies = new Map();
  });
  afterEach(async () => {
    for (const c of controllers) c.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("issues nothing and names no files while the mesh has no CA", async () => {
    const c = controller();
    await feed(c, null);
    expect(manager.signed).toHaveLength(0);
    expect(c.filesFor(web)).toBeUndefined();
    expect(c.status.state).toBe("waiting-for-ca");
  });

  it("gets an intermediate, writes one valid SVID per identity and the bundle, 0600 keys in a 0700 folder", async () => {
    const c = controller();
    await feed(c);
    expect(manager.signed).toHaveLength(1);
    const bundle = await bundleRoots();
    for (const id of [web, api]) {
      const svid = await svidOf(id);
      const verdict = validateSvidChain(svid.leaf.pem, svid.chain, bundle, now());
      expect(verdict).toMatchObject({ ok: true, spiffeId: `spiffe://${TD}/ns/shop/sa/${id.serviceAccount}` });
      expect(svid.leaf.notAfter.getTime() - svid.leaf.notBefore.getTime()).toBeLessThanOrEqual(DAY + BACKDATE_MS);
      expect((await stat(new IdentityFiles(dir).svidKeyPath(id))).mode & 0o777).toBe(0o600);
      expect(c.filesFor(id)).toMatchObject({ certChainPath: join(dir, "identity/svids/shop", id.serviceAccount, "cert.pem"), bundlePath: join(dir, "identity/bundle.pem") });
    }
    const files = new IdentityFiles(dir);
    expect((await stat(files.dir)).mode & 0o777).toBe(0o700);
    expect((await stat(files.intermediateKeyPath)).mode & 0o777).toBe(0o600);
    expect(c.status).toMatchObject({ state: "ready", intermediate: { source: "issued", rootFingerprint: manager.trust().issuingRootFingerprint }, lastError: null });
    expect(JSON.stringify(c.status)).not.toContain("PRIVATE KEY");
  });

  it("reports the full inventory once the proxies serve it, with the root each chain ends at", async () => {
    const c = controller();
    await feed(c);
    // Written but not yet loaded by the proxies: a rotation must not move on as if they served it.
    expect(manager.reports).toHaveLength(0);
    await proxiesLoadSvids();
    await c.tick();
    const report = manager.reports.at(-1)!;
    expect(report.map((r) => r.spiffeId).sort()).toEqual([`spiffe://${TD}/ns/shop/sa/api`, `spiffe://${TD}/ns/shop/sa/web`]);
    const web1 = await svidOf(web);
    expect(report.find((r) => r.spiffeId.endsWith("/web"))).toEqual({
      spiffeId: `spiffe://${TD}/ns/shop/sa/web`,
      subject: web1.leaf.subject,
      issuer: web1.leaf.issuer,
      serial: web1.leaf.serial,
      notBefore: web1.leaf.notBefore.toISOString(),
      notAfter: web1.leaf.notAfter.toISOString(),
      rootFingerprint: manager.trust().issuingRootFingerprint,
    });
    // Nothing changed: the next report waits for the interval.
    await c.tick();
    expect(manager.reports).toHaveLength(1);
    clock += 5 * 60_000;
    await c.tick();
    expect(manager.reports).toHaveLength(2);
  });

  it("reports the inventory anyway when a proxy never loads its SVID, after a bounded wait", async () => {
    const c = controller();
    await feed(c);
    clock += 29_000;
    await c.tick();
    expect(manager.reports).toHaveLength(0);
    clock += 2_000;
    await c.tick();
    expect(manager.reports).toHaveLength(1);
  });

  it("acknowledges the bundle only once every proxy runs it", async () => {
    const c = controller();
    await feed(c);
    expect(manager.acks).toHaveLength(0);
    const fingerprint = c.status.bundle!.fingerprint;
    proxies.set(1, { trustBundleFingerprint: fingerprint });
    await c.tick();
    expect(manager.acks).toHaveLength(0);
    expect(c.status.bundle!.proxies).toEqual({ total: 2, current: 1 });
    proxies.set(2, { trustBundleFingerprint: fingerprint });
    await c.tick();
    expect(manager.acks).toEqual([{ bundleVersion: "1", proxies: { total: 2, current: 2 } }]);
    expect(c.status.bundle!.ackedVersion).toBe("1");
  });

  it("renews an SVID at about half its lifetime", async () => {
    const c = controller();
    await feed(c);
    const first = (await svidOf(web)).leaf.serial;
    clock += 10 * HOUR;
    await c.tick();
    expect((await svidOf(web)).leaf.serial).toBe(first);
    clock += 3 * HOUR;
    await c.tick();
    expect((await svidOf(web)).leaf.serial).not.toBe(first);
  });

  it("keeps issuing with the stored intermediate after a restart while the manager is down", async () => {
    await feed(controller());
    controllers[0]!.stop();
    manager.down = true;
    const restarted = controller();
    await restarted.start();
    const before = (await svidOf(web)).leaf.serial;
    await feed(restarted);
    expect(manager.signed).toHaveLength(1);
    expect(restarted.status.intermediate).toMatchObject({ source: "stored" });
    const svid = await svidOf(web);
    expect(svid.leaf.serial).not.toBe(before);
    expect(validateSvidChain(svid.leaf.pem, svid.chain, await bundleRoots(), now()).ok).toBe(true);
  });

  it("keeps the current intermediate while the manager is away at half-life, and renews once it is back", async () => {
    const c = controller();
    await feed(c);
    const first = c.status.intermediate!.fingerprint;
    manager.down = true;
    clock += 46 * DAY;
    await c.tick();
    expect(c.status.intermediate!.fingerprint).toBe(first);
    expect(c.status.lastError).toMatch(/cannot get a cluster intermediate: fetch failed/);
    expect(c.status.intermediateRetryAt).not.toBeNull();
    // The SVIDs keep renewing under the current intermediate meanwhile.
    expect((await svidOf(web)).leaf.notBefore.getTime()).toBeGreaterThan(clock - BACKDATE_MS - 60_000);
    manager.down = false;
    await c.tick(); // still inside the backoff: no request
    expect(manager.signed).toHaveLength(1);
    clock += 2 * 60_000;
    await c.tick();
    expect(manager.signed).toHaveLength(2);
    expect(c.status.intermediate!.fingerprint).not.toBe(first);
    expect(c.status.lastError).toBeNull();
  });

  it("fetches a new intermediate under a new issuing root and re-issues every SVID under it", async () => {
    const c = controller();
    await feed(c);
    const oldRoot = manager.trust().issuingRootFingerprint;
    const newRoot: CertificateAuthority = await manager.addRoot();
    await feed(c);
    expect(manager.signed).toHaveLength(2);
    expect(manager.signed[1]!.rootFingerprint).not.toBe(oldRoot);
    // Re-issue is spread over a few seconds (random 0.5 of 3 s here).
    clock += 3000;
    await c.tick();
    const roots = [newRoot.certificatePem];
    for (const id of [web, api]) {
      const svid = await svidOf(id);
      expect(chainRootFingerprint(svid.chain[0]!, svid.chain.slice(1), roots)).toBe(manager.trust().issuingRootFingerprint);
    }
    expect((await bundleRoots()).roots).toHaveLength(2);
    await proxiesLoadSvids();
    await c.tick();
    expect(manager.reports.at(-1)!.every((r) => r.rootFingerprint === manager.trust().issuingRootFingerprint)).toBe(true);
  });

  it("replaces a revoked intermediate", async () => {
    const c = controller();
    await feed(c);
    manager.revokedFingerprints.push(c.status.intermediate!.fingerprint);
    await feed(c);
    expect(manager.signed).toHaveLength(2);
    expect(c.status.intermediate!.fingerprint).not.toBe(manager.revokedFingerprints[0]);
  });

  it("refuses a signed intermediate that does not chain to the root the manager names", async () => {
    const lying = Object.assign(Object.create(manager) as InMemoryIdentityManager, {
      signIntermediate: async (input: { csrPem: string }) => ({ ...(await manager.signIntermediate(input)), rootFingerprint: "0".repeat(64) }),
    });
    const c2 = controller({ manager: lying });
    await feed(c2);
    expect(c2.status.intermediate).toBeNull();
    expect(c2.status.lastError).toMatch(/chains to [0-9a-f]{64}, not to 0{64}/);
    expect(c2.filesFor(web)).toBeUndefined();
  });

  it("never logs key material", async () => {
    const c = controller();
    await feed(c);
    manager.down = true;
    clock += 46 * DAY;
    await c.tick();
    expect(logger.entries.length).toBeGreaterThan(3);
    expect(JSON.stringify(logger.entries)).not.toContain("PRIVATE KEY");
  });
});
