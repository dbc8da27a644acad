// Service export end to end without root (issue 12): a manager, two clusters'
// agents with real proxies and east-west gateways, all on this machine's
// loopback. An unexported service is unreachable from the other cluster, at
// once and with a clear flag; exporting it makes it reachable within the
// config propagation time; unexporting takes it away again. (The netns test
// checks the same where only the gateways join the clusters; it needs root.)
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, request, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgentProcess, type AgentProcess } from "./agent-process.ts";
import { freePort } from "./free-port.ts";
import { adminClient, removeHome, startManager, type AdminClient, type ManagerProcess } from "./manager-process.ts";
import { waitFor } from "./wait-for.ts";

/** One answer, as "<status> <x-weft-flags or -> <cluster that served it or ->"; "hang" when nothing came back in 5 s. */
function once(port: number, host: string): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/", headers: { host }, timeout: 5000, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => (body += c));
      res.on("end", () => {
        let cluster = "-";
        try {
          cluster = (JSON.parse(body) as { cluster?: string }).cluster ?? "-";
        } catch {
          // not the app's JSON: an answer of the proxy itself
        }
        resolve(`${res.statusCode} ${String(res.headers["x-weft-flags"] ?? "-")} ${cluster}`);
      });
    });
    req.on("timeout", () => {
      req.destroy();
      resolve("hang");
    });
    req.on("error", (e: NodeJS.ErrnoException) => resolve(`error ${e.code ?? e.message}`));
    req.end();
  });
}

/** `n` requests one after another, counted by answer. */
async function drive(port: number, host: string, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const k = await once(port, host);
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

/** An app answering JSON that names its service and cluster. */
function app(port: number, service: string, cluster: string): Promise<Server> {
  const server = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ service, cluster })));
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

const N = { unreachable: 50, window: 200 };

describe("service export across two clusters on loopback (real agents, proxies and gateways)", () => {
  let manager: ManagerProcess | undefined;
  let admin: AdminClient;
  let dir: string;
  let exportOnly: (services: { namespace: string; name?: string }[] | "All") => Promise<void>;
  const agents: AgentProcess[] = [];
  const servers: Server[] = [];
  const P: Record<string, number> = {};

  beforeAll(async () => {
    for (const k of ["frontend", "frontendIn", "frontendOut", "frontendAdmin", "reviews", "reviewsIn", "reviewsOut", "reviewsAdmin", "gwE", "gwEAdmin", "gwW", "gwWAdmin", "agentE", "agentW"]) P[k] = await freePort();
    dir = await mkdtemp(join(tmpdir(), "weft-export-"));
    manager = await startManager();
    admin = await adminClient(manager.url, manager.home);
    const { trustDomain } = await admin.mesh.status.query();
    // A request timeout, so that no request can wait forever whatever happens (Weft sets none by default).
    exportOnly = async (services) => {
      const exported = services === "All" ? { mode: "All" } : { mode: "Selected", services };
      const mesh = { apiVersion: "weft.io/v1alpha1", kind: "Mesh", metadata: { name: "default" }, spec: { trustDomain, defaults: { requestTimeout: "2s" }, multicluster: { export: exported } } };
      await admin.resources.applyDocuments.mutate({ text: JSON.stringify(mesh), message: "export test" });
    };
    // Everything exported (the default) until the services are discovered: an export naming an unknown service is refused.
    await exportOnly("All");
    const proxy = (p: string) => `proxy: { inboundPort: ${P[`${p}In`]}, outboundPort: ${P[`${p}Out`]}, adminPort: ${P[`${p}Admin`]} }`;
    const files = {
      east: `
gateway: { address: 127.0.0.1, bindAddress: 127.0.0.1, port: ${P.gwE}, adminPort: ${P.gwEAdmin}, zone: east-1a }
services:
  - { name: frontend, namespace: shop, instances: [{ name: frontend-1, address: 127.0.0.1, port: ${P.frontend}, version: v1, serviceAccount: frontend, zone: east-1a, ${proxy("frontend")} }] }
`,
      west: `
gateway: { address: 127.0.0.1, bindAddress: 127.0.0.1, port: ${P.gwW}, adminPort: ${P.gwWAdmin}, zone: west-1a }
services:
  - { name: reviews, namespace: shop, instances: [{ name: reviews-1, address: 127.0.0.1, port: ${P.reviews}, version: v1, serviceAccount: reviews, zone: west-1a, ${proxy("reviews")} }] }
`,
    };
    servers.push(await app(P.frontend!, "frontend", "east"), await app(P.reviews!, "reviews", "west"));
    const bundled = join(import.meta.dirname, "../../../packages/proxy/dist/weft-proxy.mjs");
    for (const cluster of ["east", "west"] as const) {
      const { joinToken } = await admin.clusters.create.mutate({ name: cluster });
      const file = join(dir, `${cluster}.yaml`);
      await writeFile(file, files[cluster]);
      const args = ["--manager", manager.url, "--cluster", cluster, "--mode", "universal", "--universal-file", file, "--state-dir", join(dir, cluster), "--admin-port", String(cluster === "east" ? P.agentE : P.agentW), "--log-level", "warn"];
      if (existsSync(bundled)) args.push("--proxy-bin", bundled);
      agents.push(startAgentProcess(args, { WEFT_JOIN_TOKEN: joinToken }));
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    await manager?.stop();
    if (manager) await removeHome(manager.home);
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it("answers an unexported service 503 UH at once, reaches it within the propagation time once exported, and loses it again when unexported", { timeout: 400_000 }, async () => {
    const agentLogs = () => agents.map((a) => a.output().slice(-3000)).join("\n---\n");
    // Both clusters reported: the manager knows reviews runs in west (so east's config lists it) and frontend in east.
    for (const [service, cluster] of [["reviews", "west"], ["frontend", "east"]] as const) {
      await waitFor(async () => (await admin.discovery.endpoints.query({ namespace: "shop", name: service })).clusters.includes(cluster), `${cluster}'s discovery report`, 120_000, 500);
    }
    // reviews (west only) is not exported; frontend (east) is the caller.
    await exportOnly([{ namespace: "shop", name: "frontend" }]);

    // Unexported: every call fails fast with the documented answer (503, flag UH: no healthy upstream), none hangs.
    await waitFor(async () => (await drive(P.frontendOut!, "reviews", 5))["503 UH -"] === 5, `east's frontend told reviews is not exported\n${agentLogs()}`, 120_000, 500);
    expect(await drive(P.frontendOut!, "reviews", N.unreachable)).toEqual({ "503 UH -": N.unreachable });

    // Export it: reachable once the new config has reached both agents (east's proxies and west's gateway).
    const exportedAt = Date.now();
    await exportOnly([{ namespace: "shop", name: "frontend" }, { namespace: "shop", name: "reviews" }]);
    await waitFor(async () => (await drive(P.frontendOut!, "reviews", 5))["200 - west"] === 5, `reviews reachable after export\n${agentLogs()}`, 60_000, 200);
    const propagationMs = Date.now() - exportedAt;
    const window = await drive(P.frontendOut!, "reviews", N.window);
    const served = window["200 - west"] ?? 0;
    expect(served / N.window, JSON.stringify(window)).toBeGreaterThanOrEqual(0.99);
    expect(window["hang"]).toBeUndefined();

    // Unexport it again: gone from east within the propagation time, failing fast as before.
    await exportOnly([{ namespace: "shop", name: "frontend" }]);
    await waitFor(async () => (await drive(P.frontendOut!, "reviews", 5))["503 UH -"] === 5, `reviews unreachable after unexport\n${agentLogs()}`, 60_000, 200);
    expect(await drive(P.frontendOut!, "reviews", N.unreachable)).toEqual({ "503 UH -": N.unreachable });
    console.log(`export → reachable from east in ${propagationMs} ms (load ${(await import("node:os")).loadavg().map((l) => l.toFixed(1)).join(" ")})`);
  });
});
