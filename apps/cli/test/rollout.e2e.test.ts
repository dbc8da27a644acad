// Canary rollouts end to end with the real manager, a real agent and real
// proxies, driven through weft: catalog runs v1, v2 and v3 (v3 fails every
// 20th request: 5 %). `weft rollout start` moves catalog from v1 to v2 in
// steps of 20, 50 and 80 % with an approval after each; at every approval
// the share of requests each upstream app answered matches the weight
// within ±5 points (counted at the apps, not read from config), `weft
// rollout promote` approves, and `status --watch` prints each step as it
// happens. Then v2 → v3: the failing canary is rolled back after exactly
// `threshold` failed intervals and every request goes to v2 again. Across
// the whole test no request fails because a weight changed: every failure
// is one of v3's own.
import { writeFile } from "node:fs/promises";
import { request, type ServerResponse } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { send, startMesh, waitFor, type MeshFixture } from "./mesh-fixture.ts";

const VERSIONS = ["v1", "v2", "v3"] as const;
type Version = (typeof VERSIONS)[number];

/** One request through frontend-1's proxy with extra headers: the body names the version that answered. */
function sendWith(port: number, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/", headers: { host: "catalog", ...headers }, agent: false, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.end();
  });
}

function rollout(stable: Version, canary: Version, steps: string): string {
  return `apiVersion: weft.io/v1alpha1
kind: Rollout
metadata: { name: catalog, namespace: shop }
spec:
  service: { name: catalog }
  stable: { version: ${stable} }
  canary: { version: ${canary} }
  strategy: { canary: { steps: ${steps} } }
  analysis: { interval: 2s, threshold: 2, minRequests: 20 }
`;
}

describe("weft rollout against a mesh with an agent and proxies", { timeout: 240_000 }, () => {
  let mesh: MeshFixture;
  /** Requests each app answered (counted at the app). */
  const served: Record<Version, number> = { v1: 0, v2: 0, v3: 0 };
  /** Answers the test got: failures that v3 did not produce itself would be caused by the mesh. */
  const answers = { total: 0, v3Failures: 0, otherFailures: [] as string[] };
  let background: { stop(): Promise<void> } | null = null;

  /** `n` requests through frontend-1's proxy, `concurrency` at a time. */
  const load = async (n: number, concurrency = 8) => {
    let left = n;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (left-- > 0) {
          const reply = await send(mesh.frontend.outbound, "catalog").catch((err: Error) => ({ status: 0, body: err.message }));
          answers.total++;
          if (reply.status === 200) continue;
          if (reply.body === "catalog v3 failed") answers.v3Failures++;
          else answers.otherFailures.push(`${reply.status} ${reply.body.slice(0, 80)}`);
        }
      }),
    );
  };
  /** Steady traffic while the controller judges intervals. */
  const startBackground = () => {
    let running = true;
    const loop = (async () => {
      while (running) await load(20, 2);
    })();
    background = {
      stop: async () => {
        running = false;
        await loop;
        background = null;
      },
    };
  };
  /** The share of `n` requests each version's app answered, in percent. */
  const measure = async (n: number): Promise<Record<Version, number>> => {
    const before = { ...served };
    await load(n);
    const got = VERSIONS.map((v) => served[v] - before[v]);
    const total = got.reduce((a, b) => a + b, 0);
    return Object.fromEntries(VERSIONS.map((v, i) => [v, ((got[i] as number) / total) * 100])) as Record<Version, number>;
  };
  /** Every proxy of east runs the config with the route's latest revision. */
  const synced = async () =>
    waitFor(
      async () => {
        const view = await mesh.admin.clusters.byId.query({ id: mesh.eastId });
        return view.sync.state === "in-sync" && view.proxyCounts.applied === view.proxyCounts.total;
      },
      "east's proxies on the current config",
      30_000,
    );
  const run = () => mesh.admin.rollouts.get.query({ namespace: "shop", name: "catalog" });

  beforeAll(async () => {
    const app = (version: Version) => (_req: unknown, res: ServerResponse) => {
      served[version]++;
      if (version === "v3" && served.v3 % 20 === 0) res.writeHead(503).end("catalog v3 failed");
      else res.writeHead(200).end(`catalog ${version}`);
    };
    mesh = await startMesh({ catalog: VERSIONS.map((version) => ({ version, handler: app(version) })), settings: { rollouts: { tickMs: 300 } } });
    mesh.manager.services.controllers.rollouts.start();
    // Before any rollout catalog's route sends everything to v1.
    await mesh.admin.resources.applyDocuments.mutate({
      text: "apiVersion: weft.io/v1alpha1\nkind: HTTPRoute\nmetadata: { name: catalog, namespace: shop }\nspec:\n  parentRefs: [{ name: catalog }]\n  rules: [{ backendRefs: [{ name: catalog, version: v1 }] }]\n",
    });
    await synced();
    await waitFor(async () => (await measure(40)).v1 === 100 || undefined, "all traffic on v1");
  });
  afterAll(async () => {
    await background?.stop();
    await mesh?.stop();
  });

  it("promotes a healthy canary step by step: each step's share at the upstreams within ±5 points, approvals by weft, steps printed live", async () => {
    const file = join(mesh.dir, "rollout-v2.yaml");
    await writeFile(file, rollout("v1", "v2", "[{ setWeight: 20 }, { approval: {} }, { setWeight: 50 }, { approval: {} }, { setWeight: 80 }, { approval: {} }, { setWeight: 100 }]"));
    const started = await mesh.weft(["rollout", "start", "-f", file, "-m", "catalog v2"]);
    expect(started.err).toBe("");
    expect(started.out).toContain("started rollout shop/catalog");
    const watchAbort = new AbortController();
    const watch = mesh.weft(["rollout", "status", "catalog", "-n", "shop", "--watch"], { signal: watchAbort.signal });
    startBackground();
    for (const weight of [20, 50, 80]) {
      await waitFor(async () => (await run()).run.awaitingApproval || undefined, `the approval after ${weight} %`, 60_000);
      await background?.stop();
      await synced();
      const share = await measure(1000);
      expect(Math.abs(share.v2 - weight), `v2 answered ${share.v2.toFixed(1)} % at the ${weight} % step`).toBeLessThanOrEqual(5);
      expect(share.v3).toBe(0);
      const approved = await mesh.weft(["rollout", "promote", "shop/catalog"]);
      expect(approved.out, approved.err).toContain("rollout shop/catalog");
      startBackground();
    }
    await waitFor(async () => (await run()).run.phase === "Succeeded" || undefined, "the rollout to succeed", 60_000);
    await background?.stop();
    const watched = await watch;
    watchAbort.abort();
    for (const step of ["step 1/7 (20 %) entered", "step 3/7 (50 %) entered", "step 5/7 (80 %) entered", "step 7/7 (promote (100 %)) entered"]) expect(watched.out).toContain(step);
    expect(watched.out).toContain("Succeeded");
    await synced();
    expect((await measure(200)).v2).toBe(100);
    const detail = await run();
    expect(detail.approvals.map((a) => a.approverName)).toEqual(["admin", "admin", "admin"]);
    expect(detail.steps.filter((s) => s.kind === "weight" || s.kind === "promote").every((s) => s.routeRevision !== null)).toBe(true);
    const list = await mesh.weft(["rollout", "list"]);
    expect(list.out).toMatch(/shop\s+catalog\s+catalog v1→v2\s+Succeeded/);
  });

  it("rolls a canary failing 5 % back after `threshold` failed intervals; traffic returns to stable", async () => {
    const { run: started } = await mesh.admin.rollouts.start.mutate({ text: rollout("v2", "v3", "[{ setWeight: 50 }, { approval: {} }, { setWeight: 100 }]") });
    expect(started?.phase).toBe("Initializing");
    startBackground();
    const detail = await waitFor(async () => {
      const d = await run();
      return d.run.phase === "RolledBack" ? d : undefined;
    }, "the failing canary to be rolled back", 90_000);
    await background?.stop();
    // Judged intervals: exactly `threshold` (2) failures, none passed; the verdicts hold their numbers.
    const judged = detail.checks.filter((c) => c.kind === "metric" && c.cluster === null && c.verdict !== "no-data");
    expect(judged.map((c) => c.verdict)).toEqual(["fail", "fail"]);
    for (const c of judged) expect((c.values as { value: number }).value).toBeLessThanOrEqual(95.5);
    expect(detail.run.message).toContain("rolled back");
    await synced();
    const share = await measure(300);
    expect(share.v2).toBe(100);
  });

  it("A/B by header sends exactly the matching requests to the canary; a mirror phase sends copies and no canary answer reaches a caller", async () => {
    const ab = rollout("v2", "v1", "[{ setWeight: 100 }]").replace("strategy: { canary: { steps: [{ setWeight: 100 }] } }", 'strategy: { abTesting: { iterations: 2, matches: [{ headers: [{ name: x-canary, value: "yes" }] }] } }');
    await mesh.admin.rollouts.start.mutate({ text: ab });
    await waitFor(async () => ((await run()).state.traffic?.[0]?.mode === "match") || undefined, "the A/B step entered");
    await synced();
    const answered = async (headers: Record<string, string>, n: number) => {
      const bodies: Record<string, number> = {};
      for (let i = 0; i < n; i++) {
        const reply = await sendWith(mesh.frontend.outbound, headers);
        bodies[reply.body] = (bodies[reply.body] ?? 0) + 1;
      }
      return bodies;
    };
    expect(await answered({ "x-canary": "yes" }, 100)).toEqual({ "catalog v1": 100 });
    expect(await answered({ "x-canary": "no" }, 100)).toEqual({ "catalog v2": 100 });
    expect((await mesh.weft(["rollout", "abort", "shop/catalog", "-m", "A/B seen"])).out).toContain("Aborted");

    const mirrored = rollout("v2", "v1", "[{ setWeight: 100 }]").replace("strategy: { canary:", "strategy: { mirror: { percent: 100, iterations: 5 }, canary:");
    await mesh.admin.rollouts.start.mutate({ text: mirrored });
    await waitFor(async () => ((await run()).state.traffic?.[0]?.mode === "mirror") || undefined, "the mirror phase entered");
    await synced();
    const copiesBefore = served.v1;
    expect(await answered({}, 200)).toEqual({ "catalog v2": 200 });
    // Copies are fire-and-forget: they arrive shortly after the answers.
    await waitFor(async () => served.v1 - copiesBefore >= 200 || undefined, "a copy of every request at v1", 15_000);
    await mesh.admin.rollouts.abort.mutate({ namespace: "shop", name: "catalog" });
  });

  it("no request failed because of a weight change", () => {
    expect(answers.total).toBeGreaterThan(3000);
    expect(answers.otherFailures).toEqual([]);
  });
});
