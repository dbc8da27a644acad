// The agent as a certificate authority, with real weft-proxy processes on
// loopback and an in-memory manager implementing the identity procedures
// with @weft/identity: it gets a cluster intermediate, writes SVIDs the
// proxies run with STRICT mTLS, rotates them under continuous traffic, and
// moves to a new intermediate when the mesh issues under a new root.
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTrustBundle, parseCertificate, splitPemCertificates, validateSvidChain } from "@weft/identity";
import type { ClusterConfig } from "@weft/mesh-model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type RunningAgent } from "../src/agent.ts";
import type { IdentityStatus } from "../src/identity/identity-controller.ts";
import { chainRootFingerprint } from "../src/identity/identity-decisions.ts";
import { InMemoryIdentityManager } from "../src/identity/in-memory-identity-manager.ts";
import { MemoryLogger } from "../src/logger.ts";
import { InMemoryConfigSource, InMemoryReporter } from "../src/manager-link/in-memory-manager.ts";
import { freePort } from "./free-port.ts";
import { send, shopInstances, startApp, universalAgentConfig, universalFile, upstreamHealthy, type App } from "./mesh-harness.ts";
import { waitFor } from "./wait-for.ts";

const TD = "mesh.test";

interface ProxyStats {
  identity: { spiffeId: string; serial: string; trustBundleFingerprint: string; trustBundleRoots: number } | null;
}

describe("the agent issues and rotates workload identities", { timeout: 120_000 }, () => {
  let dir: string;
  let agent: RunningAgent;
  let manager: InMemoryIdentityManager;
  const source = new InMemoryConfigSource();
  const logger = new MemoryLogger();
  const apps: App[] = [];
  const ports = { webIn: 0, webOut: 0, webAdmin: 0, catIn: 0, catOut: 0, catAdmin: 0 };
  let configVersion = 0;

  const publish = () => {
    configVersion++;
    const config: ClusterConfig = {
      cluster: "east",
      configVersion: String(configVersion),
      catalogVersion: "1",
      mesh: { trustDomain: TD, mtlsMode: "STRICT" },
      trust: manager.trust(),
      resources: [],
      catalog: [],
    };
    source.publish({ eventId: String(configVersion), config });
  };
  const stats = async (adminPort: number) => (await (await fetch(`http://127.0.0.1:${adminPort}/stats`)).json()) as ProxyStats;
  const identityStatus = async () => ((await (await fetch(`http://127.0.0.1:${agent.adminPort}/status`)).json()) as { identity: IdentityStatus }).identity;
  const svidFile = async (sa: string) => {
    const text = await readFile(join(dir, "state/identity/svids/shop", sa, "cert.pem"), "utf8");
    const [leaf, ...chain] = splitPemCertificates(text);
    return { leaf: leaf!, chain };
  };
  const callCatalog = () => send(ports.webOut, "catalog", { timeoutMs: 5000 });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "weft-agent-identity-"));
    manager = await InMemoryIdentityManager.withCa(TD, "east");
    for (const name of ["web", "catalog"]) apps.push(await startApp(() => name));
    for (const key of Object.keys(ports) as (keyof typeof ports)[]) ports[key] = await freePort();
    const file = join(dir, "east.yaml");
    await writeFile(file, universalFile(shopInstances({ web: apps[0]!.port, catalog: apps[1]!.port }, ports)));
    // Short-lived SVIDs, so the test sees them renewed (at about half: 6 s ± 1.2 s).
    const config = universalAgentConfig({ dir, file, cluster: "east", svidTtlSeconds: 12 });
    publish();
    agent = await startAgent(config, { logger, reporter: new InMemoryReporter(), configSource: source, identityManager: manager, fileDebounceMs: 30 });
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    for (const a of apps) a.server.close();
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it("gets an intermediate, writes valid SVIDs and the proxies serve each other with STRICT mTLS", async () => {
    const running = await waitFor(
      async () => {
        const [web, cat] = await Promise.all([stats(ports.webAdmin), stats(ports.catAdmin)]);
        return web.identity && cat.identity ? { web: web.identity, cat: cat.identity } : false;
      },
      "both proxies to run their SVIDs",
      30_000,
      100,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${JSON.stringify(logger.entries.slice(-30), null, 1)}`);
    });
    expect(running.web.spiffeId).toBe(`spiffe://${TD}/ns/shop/sa/web`);
    expect(running.cat.spiffeId).toBe(`spiffe://${TD}/ns/shop/sa/catalog`);
    expect(manager.signed).toHaveLength(1);

    const bundle = createTrustBundle(TD, manager.trust().rootsPem);
    const svid = await svidFile("web");
    expect(validateSvidChain(svid.leaf, svid.chain, bundle).ok).toBe(true);

    // The catalog's endpoint is ready once its proxy answers; web's proxy learns it a moment after both run their SVIDs.
    await waitFor(() => upstreamHealthy(ports.webAdmin, "catalog"), "web's proxy to hold catalog's endpoint healthy", 30_000, 100);
    expect(await callCatalog()).toEqual({ status: 200, body: "catalog" });
    // STRICT: the catalog's inbound listener refuses a caller without a client certificate.
    await expect(send(ports.catIn, "catalog", { timeoutMs: 5000 })).rejects.toThrow();

    for (const path of ["state/identity/intermediate-key.pem", "state/identity/svids/shop/web/key.pem", "state/identity/svids/shop/catalog/key.pem"]) {
      expect((await stat(join(dir, path))).mode & 0o777, path).toBe(0o600);
    }
    expect((await stat(join(dir, "state/identity"))).mode & 0o777).toBe(0o700);

    const status = await identityStatus();
    expect(status).toMatchObject({ state: "ready", intermediate: { source: "issued", rootFingerprint: manager.trust().issuingRootFingerprint } });
    expect(status.svids.map((s) => s.spiffeId).sort()).toEqual([`spiffe://${TD}/ns/shop/sa/catalog`, `spiffe://${TD}/ns/shop/sa/web`]);
    await waitFor(() => manager.acks.some((a) => a.bundleVersion === "1" && a.proxies.current === 2 && a.proxies.total === 2), "the bundle acknowledgement", 10_000, 100);
    // The agent reports certificates once the proxies serve them: wait for that report, not for "the last one".
    const served = status.svids.map((s) => s.spiffeId).sort();
    await waitFor(() => JSON.stringify(manager.reports.at(-1)?.map((r) => r.spiffeId).sort()) === JSON.stringify(served), "the certificate report naming both SVIDs", 30_000, 100);
  });

  it("renews SVIDs under continuous traffic with zero failed requests", async () => {
    const before = await Promise.all([stats(ports.webAdmin), stats(ports.catAdmin)]);
    let failures = 0;
    let sent = 0;
    const errors: string[] = [];
    let rotated = false;
    const loop = (async () => {
      while (!rotated) {
        sent++;
        const reply = await callCatalog().catch((err: Error) => ({ status: 0, body: err.message }));
        if (reply.status !== 200 || reply.body !== "catalog") {
          failures++;
          errors.push(`${reply.status} ${reply.body}`);
        }
      }
    })();
    try {
      await waitFor(
        async () => {
          const [web, cat] = await Promise.all([stats(ports.webAdmin), stats(ports.catAdmin)]);
          return web.identity!.serial !== before[0]!.identity!.serial && cat.identity!.serial !== before[1]!.identity!.serial;
        },
        "both proxies to run renewed SVIDs",
        30_000,
        100,
      );
    } finally {
      rotated = true;
      await loop;
    }
    expect(sent).toBeGreaterThan(10);
    expect(errors.slice(0, 5)).toEqual([]);
    expect(failures).toBe(0);
  });

  it("fetches a new intermediate when the mesh issues under a new root, and re-issues every SVID under it", async () => {
    const oldIntermediate = (await identityStatus()).intermediate!.fingerprint;
    await manager.addRoot();
    publish();
    const issuing = manager.trust().issuingRootFingerprint;
    await waitFor(async () => (await identityStatus()).intermediate?.rootFingerprint === issuing, "a new intermediate under the new root", 15_000, 100);
    expect(manager.signed).toHaveLength(2);
    expect((await identityStatus()).intermediate!.fingerprint).not.toBe(oldIntermediate);
    const newIntermediate = parseCertificate(manager.signed[1]!.certificatePem).fingerprintSha256;
    await waitFor(
      async () => {
        for (const sa of ["web", "catalog"]) {
          const svid = await svidFile(sa);
          if (parseCertificate(svid.chain[0]!).fingerprintSha256 !== newIntermediate) return false;
          if (chainRootFingerprint(svid.chain[0]!, svid.chain.slice(1), manager.trust().rootsPem) !== issuing) return false;
        }
        const [web, cat] = await Promise.all([stats(ports.webAdmin), stats(ports.catAdmin)]);
        const onDisk = await Promise.all(["web", "catalog"].map(async (sa) => parseCertificate((await svidFile(sa)).leaf).serial));
        return web.identity!.serial === onDisk[0] && cat.identity!.serial === onDisk[1] && web.identity!.trustBundleRoots === 2;
      },
      "both proxies to run SVIDs under the new intermediate",
      20_000,
      100,
    );
    await waitFor(() => manager.acks.some((a) => a.bundleVersion === "2" && a.proxies.current === 2), "the new bundle's acknowledgement", 10_000, 100);
    expect(await callCatalog()).toEqual({ status: 200, body: "catalog" });
    // The agent reports certificates once the proxies serve them, which can be a moment after the files change.
    await waitFor(() => manager.reports.at(-1)?.every((r) => r.rootFingerprint === issuing) === true, "a certificate report with every SVID under the new root", 10_000, 100);
  });

  it("never logs or exposes key material", async () => {
    const status = await (await fetch(`http://127.0.0.1:${agent.adminPort}/status`)).text();
    expect(status).not.toContain("PRIVATE KEY");
    expect(JSON.stringify(logger.entries)).not.toContain("PRIVATE KEY");
    expect(logger.entries.some((e) => e.msg === "workload SVID renewed")).toBe(true);
  });
});
