// Issue 6 acceptance: a real manager (weft-manager), two real agents (east,
// west) in universal mode, each running real weft-proxy processes in front of
// small HTTP apps with STRICT mTLS, and continuous request loops through the
// proxies of both clusters, within each cluster and across them through the
// clusters' east-west gateways (SNI passthrough: mTLS runs end to end between
// the proxies of the two clusters, so both must trust each other's SVIDs at
// every step). While the loops run: workload SVIDs renew, a root rotation
// goes through every step to completion, a second one is reversed part-way;
// not one request fails, and no process ever logs key material.
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleFingerprint, createTrustBundle, parseCertificate, validateSvidChain } from "@weft/identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IdentityStatus } from "../src/identity/identity-controller.ts";
import { startAgentProcess, type AgentProcess } from "./agent-process.ts";
import { freePort } from "./free-port.ts";
import { adminClient, removeHome, startManager, type AdminClient, type ManagerProcess } from "./manager-process.ts";
import {
  closeApp,
  describeLoads,
  LogCapture,
  proxyIdentity,
  type ProxyBackendStats,
  send,
  servedChain,
  startApp,
  startLoad,
  universalFile,
  type InstanceSpec,
  type LoadLoop,
} from "./mesh-harness.ts";
import { waitFor } from "./wait-for.ts";

const CLUSTERS = ["east", "west"] as const;
type ClusterName = (typeof CLUSTERS)[number];
/** Short-lived SVIDs (renewed at about half: 8 s ± 10 %), so renewals happen throughout the run. */
const SVID_TTL_SECONDS = 16;
const STEPS = ["ADD_ROOT", "ISSUE_INTERMEDIATES", "MIGRATE_WORKLOADS", "REMOVE_OLD_ROOT"] as const;
type Rotation = NonNullable<Awaited<ReturnType<AdminClient["identity"]["rotation"]["get"]["query"]>>>;

const stepIndex = (step: string) => (step === "COMPLETED" || step === "REVERSED" ? STEPS.length : STEPS.indexOf(step as (typeof STEPS)[number]));
const fingerprintOf = (pem: string) => parseCertificate(pem).fingerprintSha256;

/** The part of a gateway's admin /config a failure report shows. */
interface GatewayConfig {
  config?: { listeners?: { kind: string; routes?: { sni: string }[] }[] };
}

interface Cluster {
  name: ClusterName;
  dir: string;
  adminPort: number;
  gateway: { port: number; adminPort: number };
  instances: InstanceSpec[];
  agent?: AgentProcess;
}

describe("root and workload certificate rotation across two clusters under continuous load", { timeout: 150_000 }, () => {
  let manager: ManagerProcess;
  let admin: AdminClient;
  let dir: string;
  const caKey = randomBytes(32).toString("base64");
  const logs = new LogCapture();
  const apps: Awaited<ReturnType<typeof startApp>>[] = [];
  const clusters = new Map<ClusterName, Cluster>();
  const loads: LoadLoop[] = [];
  let keyCollector: NodeJS.Timeout | undefined;
  let trustDomain = "";

  const proxies = () => [...clusters.values()].flatMap((c) => c.instances.map((i) => ({ cluster: c.name, name: i.name, ...i.proxy })));
  const agentIdentity = async (c: Cluster) => ((await (await fetch(`http://127.0.0.1:${c.adminPort}/status`)).json()) as { identity: IdentityStatus }).identity;
  /** A process's last lines without the renewals' and requests' chatter (every few seconds here), which would crowd out what went wrong. */
  const tail = (output: string) =>
    output
      .split("\n")
      .filter((line) => !/workload SVID renewed|workload identity rotated|"msg":"request"/.test(line))
      .slice(-40)
      .join("\n");
  /** What each web proxy holds for the services it calls, and what each gateway routes: where a failing path stops. */
  const meshView = async () => {
    const views = await Promise.all(
      [...clusters.values()].flatMap((c) => {
        const web = c.instances.find((i) => i.service === "web")!;
        const read = async <T,>(port: number, path: string): Promise<T | null> =>
          ((await (await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) })).json().catch(() => null)) as T | null);
        return [
          read<ProxyBackendStats>(web.proxy.adminPort, "/stats").then((s) =>
            `${c.name} web's backends: ${JSON.stringify(Object.values(s?.backends ?? {}).map((b) => [b.service, (b.endpoints ?? []).map((e) => `${e.address}:${e.port} ${e.health}${e.ejected ? " ejected" : ""} failures=${e.failures}`)]))}`,
          ),
          read<GatewayConfig>(c.gateway.adminPort, "/config").then((g) =>
            `${c.name} gateway's routes: ${JSON.stringify(g?.config?.listeners?.find((l) => l.kind === "gateway")?.routes?.map((r) => r.sni) ?? null)}`,
          ),
        ].map((p) => p.catch((err: Error) => `${c.name}: ${err.message}`));
      }),
    );
    return views.join("\n");
  };
  const context = async () =>
    `\nloads: ${describeLoads(loads)}\n--- mesh ---\n${await meshView().catch((err: Error) => err.message)}\n--- manager ---\n${tail(manager.output())}\n${[...clusters.values()].map((c) => `--- agent ${c.name} ---\n${tail(c.agent?.output() ?? "")}`).join("\n")}`;
  const explain = async (err: Error): Promise<never> => {
    throw new Error(`${err.message}${await context()}`);
  };
  const rotationOf = async (id: string) => (await admin.identity.rotation.get.query({ id }))!;
  const trust = async () => (await admin.identity.trustBundle.query())!;
  const rootFingerprints = async () => (await trust()).rootsPem.map(fingerprintOf).sort();
  const bundleOf = (rootsPem: readonly string[]) => createTrustBundle(trustDomain, [...rootsPem]);

  /** Every proxy's served chain, checked against a bundle holding only `rootPem`. */
  const chainsTo = async (rootPem: string) =>
    Promise.all(
      proxies().map(async (p) => {
        const chain = await servedChain(p.inboundPort);
        const result = validateSvidChain(chain.leaf, chain.intermediates, bundleOf([rootPem]), new Date(), { purpose: "server" });
        return { proxy: p.name, ok: result.ok, serial: parseCertificate(chain.leaf).serial };
      }),
    );

  /** Waits until every proxy serves an SVID chaining to `rootPem` (a proxy picks up new files within about a second). */
  const servesUnder = (rootPem: string, what: string) =>
    waitFor(async () => (await chainsTo(rootPem)).every((c) => c.ok), what, 30_000, 200).catch(explain);
  /** Waits until both agents hold an intermediate under `root` (the manager records the signature just before the agent adopts it). */
  const intermediatesUnder = (root: string) =>
    waitFor(
      async () => (await Promise.all([...clusters.values()].map(agentIdentity))).every((s) => s.intermediate?.rootFingerprint === root),
      "both agents to run an intermediate under the expected root",
      30_000,
      200,
    ).catch(explain);

  /** Waits until every proxy runs a bundle of exactly these roots (and says so on /stats). */
  const proxiesRun = (rootsPem: readonly string[], what: string) => {
    const fingerprint = bundleFingerprint(bundleOf(rootsPem));
    return waitFor(
      async () => {
        const seen = await Promise.all(proxies().map((p) => proxyIdentity(p.adminPort)));
        return seen.every((s) => s?.trustBundleFingerprint === fingerprint && s.trustBundleRoots === rootsPem.length) && seen;
      },
      what,
      30_000,
      200,
    ).catch(explain);
  };

  /** Lets the controller take the next step(s) and pauses the rotation as soon as it has moved, so the step can be inspected. */
  const advance = async (id: string, from: string): Promise<Rotation> => {
    await admin.identity.rotation.resume.mutate({ id });
    const moved = await waitFor(
      async () => {
        const r = await rotationOf(id);
        return stepIndex(r.step) > stepIndex(from) && r;
      },
      `the rotation to move on from ${from}`,
      60_000,
      100,
    ).catch(explain);
    return moved.completedAt ? moved : admin.identity.rotation.pause.mutate({ id }).catch(() => rotationOf(id));
  };

  /** Waits until the (paused) rotation's current step waits for no cluster, as the controller computed it. */
  const stepDone = (id: string, step: string) =>
    waitFor(
      async () => {
        const r = await rotationOf(id);
        if (r.step !== step) throw new Error(`the rotation is at ${r.step}`);
        return r.progress.clusters.length === CLUSTERS.length && r.progress.waitingFor.length === 0 && r;
      },
      `every cluster to be done with ${step}`,
      60_000,
      200,
    ).catch(explain);

  const workloadInventory = async () => (await admin.identity.certificates.query({})).items.filter((i) => i.kind === "workload");

  const expectNoFailures = () => {
    for (const l of loads) expect(l.failures, `${l.name}: ${describeLoads([l])}`).toEqual([]);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "weft-root-rotation-"));
    manager = await startManager({
      // A 1 s controller period keeps the run short; debug logs give the key scan the most text to look at.
      env: { WEFT_CA_KEY: caKey, WEFT_ROTATION_TICK: "1s", WEFT_LOG_LEVEL: "debug" },
      onOutput: logs.add("manager"),
    });
    admin = await adminClient(manager.url, manager.home);
    for (const name of CLUSTERS) {
      const instances: InstanceSpec[] = [];
      // catalog runs only in east and ledger only in west: each cluster's web reaches the other one through its gateway.
      for (const service of ["web", name === "east" ? "catalog" : "ledger"]) {
        const app = await startApp(() => `${service} ${name}`);
        apps.push(app);
        instances.push({
          service,
          namespace: "shop",
          name: `${service}-1`,
          serviceAccount: service,
          appPort: app.port,
          proxy: { inboundPort: await freePort(), outboundPort: await freePort(), adminPort: await freePort() },
        });
      }
      const cluster: Cluster = { name, dir: join(dir, name), adminPort: await freePort(), gateway: { port: await freePort(), adminPort: await freePort() }, instances };
      clusters.set(name, cluster);
      await writeFile(join(dir, `${name}.yaml`), universalFile(instances, cluster.gateway));
    }
    for (const c of clusters.values()) {
      const { joinToken } = await admin.clusters.create.mutate({ name: c.name });
      const args = ["--manager", manager.url, "--universal-file", join(dir, `${c.name}.yaml`), "--state-dir", c.dir, "--admin-port", String(c.adminPort)];
      c.agent = startAgentProcess([...args, "--join-token", joinToken, "--svid-ttl", String(SVID_TTL_SECONDS), "--log-level", "debug"]);
      logs.attach(`agent ${c.name}`, c.agent.process.stderr);
    }
    trustDomain = (await admin.mesh.status.query()).trustDomain;
    for (const c of clusters.values()) {
      await waitFor(async () => {
        const s = await agentIdentity(c);
        return s.state === "ready" && s.svids.length === 2;
      }, `${c.name}'s SVIDs`, 40_000, 200).catch(explain);
    }
    const paths = [
      { from: "east", to: "catalog", answer: "catalog east" },
      { from: "west", to: "ledger", answer: "ledger west" },
      { from: "east", to: "ledger", answer: "ledger west" },
      { from: "west", to: "catalog", answer: "catalog east" },
    ] as const;
    for (const path of paths) {
      const web = clusters.get(path.from)!.instances.find((i) => i.service === "web")!;
      const call = () => send(web.proxy.outboundPort, path.to);
      const what = `${path.from} web → ${path.to} (${path.answer.split(" ")[1]})`;
      let last = "no reply yet";
      const answered = async () => {
        const reply = await call().catch((err: Error) => ({ status: 0, body: err.message }));
        last = `${reply.status} ${reply.body.trim()}`;
        return reply.body === path.answer;
      };
      await waitFor(answered, what, 60_000, 200).catch((err: Error) => explain(new Error(`${err.message} (last answer: ${last})`)));
      loads.push(startLoad(what, call, path.answer));
    }
    keyCollector = setInterval(() => {
      for (const c of clusters.values()) void logs.collectKeys(join(c.dir, "identity"));
    }, 1000);
  }, 150_000);

  afterAll(async () => {
    clearInterval(keyCollector);
    await Promise.all(loads.map((l) => l.stop()));
    await Promise.all([...clusters.values()].map((c) => c.agent?.stop()));
    await manager?.stop();
    await Promise.all(apps.map(closeApp));
    if (manager) await removeHome(manager.home);
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it("renews every workload SVID at about half-life with zero failed requests, and the manager's inventory follows", async () => {
    const seen = new Map<string, Set<string>>(proxies().map((p) => [p.name + p.cluster, new Set<string>()]));
    // Two renewals of every proxy's SVID, as the proxies themselves report the certificate they run.
    await waitFor(
      async () => {
        for (const p of proxies()) {
          const id = await proxyIdentity(p.adminPort);
          if (id) seen.get(p.name + p.cluster)!.add(id.serial);
        }
        return [...seen.values()].every((s) => s.size >= 3);
      },
      "every proxy to run its third SVID",
      90_000,
      250,
    ).catch(explain);
    expect(loads.every((l) => l.ok > 100)).toBe(true);
    expectNoFailures();

    // What the proxies run now is what the manager lists.
    await waitFor(
      async () => {
        const running = (await Promise.all(proxies().map((p) => proxyIdentity(p.adminPort)))).map((s) => s?.serial).sort();
        const listed = (await workloadInventory()).map((i) => i.serial).sort();
        return JSON.stringify(running) === JSON.stringify(listed) && listed.length === 4;
      },
      "the inventory to list the SVIDs the proxies run",
      30_000,
      250,
    ).catch(explain);
    // Short-lived, and none of them expired.
    const now = Date.now();
    for (const i of await workloadInventory()) {
      expect(i.notAfter.getTime()).toBeGreaterThan(now);
      expect(i.notAfter.getTime()).toBeLessThanOrEqual(now + SVID_TTL_SECONDS * 1000);
    }
  });

  it("rotates the root through every step to completion with zero failed requests", async () => {
    const before = await trust();
    expect(before.rootsPem).toHaveLength(1);
    const oldRootPem = before.rootsPem[0]!;
    const oldRoot = fingerprintOf(oldRootPem);
    expect(before.issuingRootFingerprint).toBe(oldRoot);

    const started = await admin.identity.rotation.start.mutate({});
    const id = started.id;
    const newRoot = started.to.anchorFingerprint;
    expect(started).toMatchObject({ step: "ADD_ROOT", from: { anchorFingerprint: oldRoot } });
    // Held at each step (paused) so an operator's checks are made while it lasts.
    await admin.identity.rotation.pause.mutate({ id });
    const visited: string[] = ["ADD_ROOT"];

    // ADD_ROOT: both roots in every bundle, still issuing under the old one.
    const afterAdd = await trust();
    expect(afterAdd.rootsPem.map(fingerprintOf).sort()).toEqual([oldRoot, newRoot].sort());
    expect(afterAdd.issuingRootFingerprint).toBe(oldRoot);
    const newRootPem = afterAdd.rootsPem.find((p) => fingerprintOf(p) === newRoot)!;
    await stepDone(id, "ADD_ROOT");
    await proxiesRun(afterAdd.rootsPem, "every proxy to run both roots");
    expect((await chainsTo(oldRootPem)).every((c) => c.ok)).toBe(true);
    for (const c of clusters.values()) expect((await agentIdentity(c)).bundle).toMatchObject({ roots: 2, ackedVersion: afterAdd.bundleVersion });

    let r = await advance(id, "ADD_ROOT");
    visited.push(r.step);
    if (r.step === "ISSUE_INTERMEDIATES") {
      // New intermediates are signed under the new root; both roots stay trusted.
      expect((await trust()).issuingRootFingerprint).toBe(newRoot);
      expect(await rootFingerprints()).toEqual([oldRoot, newRoot].sort());
      r = await stepDone(id, "ISSUE_INTERMEDIATES");
      expect(r.progress.clusters.every((c) => c.hasNewIntermediate)).toBe(true);
      await intermediatesUnder(newRoot);
      await proxiesRun(afterAdd.rootsPem, "every proxy to keep both roots while intermediates change");
      r = await advance(id, "ISSUE_INTERMEDIATES");
      visited.push(r.step);
    }
    if (r.step === "MIGRATE_WORKLOADS") {
      // Workloads move to SVIDs under the new root; until all have, the old root stays in every bundle.
      await proxiesRun(afterAdd.rootsPem, "every proxy to keep both roots while workloads migrate");
      r = await stepDone(id, "MIGRATE_WORKLOADS");
      expect(r.progress.clusters.map((c) => c.certificates.percent)).toEqual([100, 100]);
      await servesUnder(newRootPem, "every proxy to serve an SVID under the new root");
      expect(await rootFingerprints()).toEqual([oldRoot, newRoot].sort());
      r = await advance(id, "MIGRATE_WORKLOADS");
      visited.push(r.step);
    }
    if (r.step === "REMOVE_OLD_ROOT") {
      // The old root leaves every bundle.
      const removed = await trust();
      expect(removed.rootsPem.map(fingerprintOf)).toEqual([newRoot]);
      await proxiesRun(removed.rootsPem, "every proxy to drop the old root");
      r = await advance(id, "REMOVE_OLD_ROOT");
      visited.push(r.step);
    }

    expect(r.step).toBe("COMPLETED");
    expect(r.completedAt).not.toBeNull();
    // Every step happened, in order (the test may have missed holding one that the controller finished at once).
    expect(r.history.filter((h) => h.by === "controller" || h.action === "start").map((h) => h.step)).toEqual([...STEPS, "COMPLETED"]);

    // What an operator checks at the end.
    const final = await trust();
    expect(final.rootsPem.map(fingerprintOf)).toEqual([newRoot]);
    expect(final.issuingRootFingerprint).toBe(newRoot);
    const authorities = await admin.identity.authorities.query();
    expect(authorities.authorities.find((a) => a.anchorFingerprint === newRoot)?.state).toBe("ACTIVE");
    expect(authorities.authorities.find((a) => a.anchorFingerprint === oldRoot)?.state).toBe("RETIRED");
    expect(authorities.clusters.map((c) => c.current?.rootFingerprint)).toEqual([newRoot, newRoot]);
    await proxiesRun(final.rootsPem, "every proxy to run only the new root");
    for (const c of clusters.values()) expect(await readFile(join(c.dir, "identity", "bundle.pem"), "utf8")).not.toContain(oldRootPem.trim().split("\n")[1]);
    await intermediatesUnder(newRoot);
    await servesUnder(newRootPem, "every proxy to serve an SVID under the new root");
    expect((await chainsTo(oldRootPem)).some((c) => c.ok)).toBe(false);
    const inventory = await workloadInventory();
    expect(inventory).toHaveLength(4);
    expect(inventory.filter((i) => i.rootFingerprint !== newRoot)).toEqual([]);
    expect(visited.at(-1)).toBe("COMPLETED");

    // Traffic kept flowing in both clusters through every step.
    const sentBefore = loads.map((l) => l.ok);
    await waitFor(() => loads.every((l, i) => l.ok > sentBefore[i]! + 20), "more requests after the rotation", 30_000, 100);
    expect(loads.every((l) => l.ok > 300)).toBe(true);
    expectNoFailures();
    // The cross-cluster loops really went through the other cluster's gateway.
    for (const [c, service] of [["east", "catalog"], ["west", "ledger"]] as const) {
      const metrics = await (await fetch(`http://127.0.0.1:${clusters.get(c)!.gateway.adminPort}/metrics`)).text();
      expect(metrics).toContain(`weft_tcp_connections_total{listener="gateway",destination_service="${service}"`);
    }
  });

  it("reverses a rotation part-way: every cluster goes back to the previous root with zero failed requests", async () => {
    const before = await trust();
    const keptRootPem = before.rootsPem[0]!;
    const kept = fingerprintOf(keptRootPem);

    const started = await admin.identity.rotation.start.mutate({});
    const id = started.id;
    const abandoned = started.to.anchorFingerprint;
    await admin.identity.rotation.pause.mutate({ id });
    const abandonedPem = (await trust()).rootsPem.find((p) => fingerprintOf(p) === abandoned)!;
    expect(abandonedPem).toBeDefined();
    await stepDone(id, "ADD_ROOT");
    let r = await advance(id, "ADD_ROOT");
    // Let the clusters get their intermediates under the new root before going back.
    if (r.step === "ISSUE_INTERMEDIATES") r = await stepDone(id, "ISSUE_INTERMEDIATES");
    await intermediatesUnder(abandoned);
    // The agents re-issue under a new intermediate whatever the rotation's pause: wait until every workload has moved, so the reverse must bring them all back.
    await servesUnder(abandonedPem, "every proxy to serve an SVID under the new root before the reverse");
    expect(["ISSUE_INTERMEDIATES", "MIGRATE_WORKLOADS"]).toContain((await rotationOf(id)).step);

    const reversed = await admin.identity.rotation.reverse.mutate({ id });
    expect(reversed).toMatchObject({ paused: false, to: { anchorFingerprint: kept } });
    expect((await trust()).issuingRootFingerprint).toBe(kept);
    r = await waitFor(
      async () => {
        const now = await rotationOf(id);
        return now.completedAt !== null && now;
      },
      "the reversed rotation to finish",
      90_000,
      250,
    ).catch(explain);
    expect(r.step).toBe("REVERSED");

    const final = await trust();
    expect(final.rootsPem.map(fingerprintOf)).toEqual([kept]);
    expect(final.issuingRootFingerprint).toBe(kept);
    const authorities = await admin.identity.authorities.query();
    expect(authorities.authorities.find((a) => a.anchorFingerprint === abandoned)?.state).toBe("RETIRED");
    expect(authorities.authorities.find((a) => a.anchorFingerprint === kept)?.state).toBe("ACTIVE");
    expect(authorities.clusters.map((c) => c.current?.rootFingerprint)).toEqual([kept, kept]);
    await proxiesRun(final.rootsPem, "every proxy to run only the previous root again");
    await intermediatesUnder(kept);
    await servesUnder(keptRootPem, "every proxy to serve an SVID under the previous root again");
    expect((await chainsTo(abandonedPem)).some((c) => c.ok)).toBe(false);
    expect((await workloadInventory()).filter((i) => i.rootFingerprint !== kept)).toEqual([]);
    expectNoFailures();
  });

  it("never wrote key material to any log line of the manager, the agents or their proxies", async () => {
    for (const c of clusters.values()) await logs.collectKeys(join(c.dir, "identity"));
    // Two intermediates per cluster at least (three roots were used) and every SVID renewed several times.
    expect(logs.keysSeen).toBeGreaterThan(12);
    // The scan has something to scan: both agents' debug logs and their proxies' lines.
    for (const c of CLUSTERS) {
      expect(logs.of(`agent ${c}`)).toContain("workload SVID renewed");
      expect(logs.of(`agent ${c}`)).toContain('"proxy log"');
    }
    expect(logs.of("manager")).toContain("root rotation moved to COMPLETED");
    expect(logs.leaks([caKey])).toEqual([]);
    expectNoFailures();
  });
});
