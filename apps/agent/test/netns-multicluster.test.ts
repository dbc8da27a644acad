// Two clusters in two Linux network namespaces (issue 12), joined only by
// their east-west gateways' addresses: every workload listens on its own
// namespace's loopback, so a proxy that tried to reach a remote workload
// directly would fail loudly. Each namespace also has a management link to
// the test's namespace, where a relay leads to the manager. The test creates
// and removes the namespaces; it is skipped, saying why, where the kernel
// refuses (not root, no CAP_NET_ADMIN).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, connect, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_BIN } from "./agent-process.ts";
import { adminClient, removeHome, startManager, type ManagerProcess } from "./manager-process.ts";
import { waitFor } from "./wait-for.ts";

const tag = `${process.pid % 10_000}`;
const NS = { east: `weft-e-${tag}`, west: `weft-w-${tag}` };
/** The east-west link (the only path between the clusters) and each cluster's management link to the test. */
const ADDR = { eastGw: "10.231.0.1", westGw: "10.231.0.2", eastMgmt: "10.231.1.2", eastHost: "10.231.1.1", westMgmt: "10.231.2.2", westHost: "10.231.2.1" };
const LINKS = { ew: `wew${tag}`, eastMgmt: `wem${tag}`, westMgmt: `wwm${tag}` };

function ip(...args: string[]): { ok: boolean; error: string } {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  return { ok: r.status === 0, error: (r.stderr || r.error?.message || "").trim() };
}

/** Creates the namespaces and links; the reason it cannot, when the kernel refuses. */
function createNetwork(): string | undefined {
  if (process.getuid?.() !== 0) return "network namespaces need root (CI runs as root)";
  const first = ip("netns", "add", NS.east);
  if (!first.ok) return `the kernel refused a network namespace: ${first.error}`;
  const steps: string[][] = [
    ["netns", "add", NS.west],
    ["link", "add", `${LINKS.ew}a`, "type", "veth", "peer", "name", `${LINKS.ew}b`],
    ["link", "set", `${LINKS.ew}a`, "netns", NS.east],
    ["link", "set", `${LINKS.ew}b`, "netns", NS.west],
    ["-n", NS.east, "addr", "add", `${ADDR.eastGw}/30`, "dev", `${LINKS.ew}a`],
    ["-n", NS.west, "addr", "add", `${ADDR.westGw}/30`, "dev", `${LINKS.ew}b`],
    ["link", "add", `${LINKS.eastMgmt}a`, "type", "veth", "peer", "name", `${LINKS.eastMgmt}b`],
    ["link", "set", `${LINKS.eastMgmt}b`, "netns", NS.east],
    ["addr", "add", `${ADDR.eastHost}/30`, "dev", `${LINKS.eastMgmt}a`],
    ["-n", NS.east, "addr", "add", `${ADDR.eastMgmt}/30`, "dev", `${LINKS.eastMgmt}b`],
    ["link", "add", `${LINKS.westMgmt}a`, "type", "veth", "peer", "name", `${LINKS.westMgmt}b`],
    ["link", "set", `${LINKS.westMgmt}b`, "netns", NS.west],
    ["addr", "add", `${ADDR.westHost}/30`, "dev", `${LINKS.westMgmt}a`],
    ["-n", NS.west, "addr", "add", `${ADDR.westMgmt}/30`, "dev", `${LINKS.westMgmt}b`],
    ["link", "set", `${LINKS.eastMgmt}a`, "up"],
    ["link", "set", `${LINKS.westMgmt}a`, "up"],
    ...(["east", "west"] as const).flatMap((c) => [
      ["-n", NS[c], "link", "set", "lo", "up"],
      ["-n", NS[c], "link", "set", `${LINKS.ew}${c === "east" ? "a" : "b"}`, "up"],
      ["-n", NS[c], "link", "set", `${c === "east" ? LINKS.eastMgmt : LINKS.westMgmt}b`, "up"],
    ]),
  ];
  for (const step of steps) {
    const r = ip(...step);
    if (!r.ok) return `ip ${step.join(" ")}: ${r.error}`;
  }
  return undefined;
}

function removeNetwork(): void {
  // Deleting a namespace deletes the veth ends inside it, and with them their peers.
  ip("netns", "del", NS.east);
  ip("netns", "del", NS.west);
  ip("link", "del", `${LINKS.eastMgmt}a`);
  ip("link", "del", `${LINKS.westMgmt}a`);
}

const skipReason = createNetwork();
if (skipReason) removeNetwork();

/** Runs `node -e <code>` inside a namespace. */
function nodeIn(ns: string, code: string, args: string[] = []): ChildProcess {
  return spawn("ip", ["netns", "exec", ns, process.execPath, "--input-type=module", "-e", code, ...args], { stdio: ["ignore", "pipe", "pipe"] });
}

// One process per cluster serves its instances on its loopback: JSON naming service and cluster.
const APPS = `
import { createServer } from "node:http";
for (const a of JSON.parse(process.argv[1])) createServer((req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(a))).listen(a.port, "127.0.0.1");
`;

// Sends n requests through a proxy's outbound listener (inside a namespace) and counts answers by
// status, response flags and the cluster that served them; a request not answered in 5 s counts as "hang".
const DRIVER = `
import { request } from "node:http";
const [port, host, n] = [Number(process.argv[1]), process.argv[2], Number(process.argv[3])];
const counts = {};
const one = () => new Promise((resolve) => {
  const req = request({ host: "127.0.0.1", port, path: "/", headers: { host }, timeout: 5000 }, (res) => {
    let body = ""; res.setEncoding("utf8").on("data", (c) => (body += c));
    res.on("end", () => { let cluster = "-"; try { cluster = JSON.parse(body).cluster ?? "-"; } catch {} resolve(res.statusCode + " " + (res.headers["x-weft-flags"] ?? "-") + " " + cluster); });
  });
  req.on("timeout", () => { req.destroy(); resolve("hang"); });
  req.on("error", (e) => resolve("error " + e.code));
  req.end();
});
for (let i = 0; i < n; i++) { const k = await one(); counts[k] = (counts[k] ?? 0) + 1; }
process.stdout.write(JSON.stringify(counts));
`;

async function drive(port: number, host: string, n: number): Promise<Record<string, number>> {
  const child = nodeIn(NS.east, DRIVER, [String(port), host, String(n)]);
  let out = "";
  child.stdout!.on("data", (c: Buffer) => (out += String(c)));
  await new Promise((r) => child.once("exit", r));
  return JSON.parse(out || "{}") as Record<string, number>;
}

// The agent speaks plain http to loopback only (its credential must not travel unencrypted): inside each
// namespace a relay on its loopback leads over the management link to the test's relay to the manager.
const LOOPBACK_RELAY = `
import { createServer, connect } from "node:net";
const [port, host, target] = [Number(process.argv[1]), process.argv[2], Number(process.argv[3])];
createServer((s) => { const u = connect(target, host); s.pipe(u).pipe(s); s.on("error", () => u.destroy()); u.on("error", () => s.destroy()); }).listen(port, "127.0.0.1");
`;

/** A proxy's /metrics (its admin port is on a namespace's loopback). */
async function metricsIn(ns: string, adminPort: number): Promise<string> {
  const child = nodeIn(ns, `const r = await fetch("http://127.0.0.1:" + process.argv[1] + "/metrics"); process.stdout.write(await r.text());`, [String(adminPort)]);
  let out = "";
  child.stdout!.on("data", (c: Buffer) => (out += String(c)));
  await new Promise((r) => child.once("exit", r));
  return out;
}

const series = (metrics: string, labels: Record<string, string>) =>
  metrics.split("\n").filter((l) => l.startsWith("weft_requests_total{") && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));

/** Relays the manager's loopback port to both management links. */
function relay(managerPort: number): Promise<Server> {
  const server = createServer((socket) => {
    const upstream = connect(managerPort, "127.0.0.1");
    socket.pipe(upstream).pipe(socket);
    socket.on("error", () => upstream.destroy());
    upstream.on("error", () => socket.destroy());
  });
  return new Promise((resolve) => server.listen(0, "0.0.0.0", () => resolve(server)));
}

describe.skipIf(skipReason !== undefined)(`clusters in separate network namespaces${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  let manager: ManagerProcess | undefined;
  let applyMesh: (spec: Record<string, unknown>) => Promise<void>;
  let relayServer: Server | undefined;
  let dir: string;
  const children: ChildProcess[] = [];
  // Ports inside the namespaces (each has its own loopback, so the same numbers could repeat; they do not, for clarity).
  const P = { frontend: 18000, frontendIn: 18001, frontendOut: 18002, frontendAdmin: 18003, catalogE: 18010, catalogEIn: 18011, catalogEOut: 18012, catalogEAdmin: 18013, catalogW: 18110, catalogWIn: 18111, catalogWOut: 18112, catalogWAdmin: 18113, reviews: 18120, reviewsIn: 18121, reviewsOut: 18122, reviewsAdmin: 18123, gw: 18190, gwAdmin: 18191 };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "weft-netns-"));
    // On DATABASE_URL when set (the embedded default otherwise). The mesh needs a CA: the gateways pass only
    // mTLS, so without one east's proxies leave west's endpoints out (gateway_needs_mtls) and answer 503 UH.
    // The embedded default makes its CA key; on an external database startManager supplies WEFT_CA_KEY.
    manager = await startManager();
    relayServer = await relay(manager.port);
    const relayPort = (relayServer.address() as { port: number }).port;
    const admin = await adminClient(manager.url, manager.home);
    // A request already written on a pooled connection when the link dies gets no answer and no reset: only a
    // request timeout ends it (Weft, like Istio, sets none by default), so the mesh here has one.
    const { trustDomain } = await admin.mesh.status.query();
    applyMesh = async (spec) => {
      const mesh = { apiVersion: "weft.io/v1alpha1", kind: "Mesh", metadata: { name: "default" }, spec: { trustDomain, defaults: { requestTimeout: "2s" }, ...spec } };
      await admin.resources.applyDocuments.mutate({ text: JSON.stringify(mesh), message: "netns test" });
    };
    await applyMesh({});
    const bundled = join(import.meta.dirname, "../../../packages/proxy/dist/weft-proxy.mjs");
    const proxy = (inbound: number, outbound: number, adminPort: number) => `proxy: { inboundPort: ${inbound}, outboundPort: ${outbound}, adminPort: ${adminPort} }`;
    const files = {
      east: `
gateway: { address: ${ADDR.eastGw}, bindAddress: ${ADDR.eastGw}, port: ${P.gw}, adminPort: ${P.gwAdmin}, zone: east-1a }
services:
  - { name: frontend, namespace: shop, instances: [{ name: frontend-1, address: 127.0.0.1, port: ${P.frontend}, version: v1, serviceAccount: frontend, zone: east-1a, ${proxy(P.frontendIn, P.frontendOut, P.frontendAdmin)} }] }
  - { name: catalog, namespace: shop, instances: [{ name: catalog-1, address: 127.0.0.1, port: ${P.catalogE}, version: v1, serviceAccount: catalog, zone: east-1a, ${proxy(P.catalogEIn, P.catalogEOut, P.catalogEAdmin)} }] }
`,
      west: `
gateway: { address: ${ADDR.westGw}, bindAddress: ${ADDR.westGw}, port: ${P.gw}, adminPort: ${P.gwAdmin}, zone: west-1a }
services:
  - { name: catalog, namespace: shop, instances: [{ name: catalog-1, address: 127.0.0.1, port: ${P.catalogE}, version: v1, serviceAccount: catalog, zone: west-1a, ${proxy(P.catalogWIn, P.catalogWOut, P.catalogWAdmin)} }] }
  - { name: reviews, namespace: shop, instances: [{ name: reviews-1, address: 127.0.0.1, port: ${P.reviews}, version: v1, serviceAccount: reviews, zone: west-1a, ${proxy(P.reviewsIn, P.reviewsOut, P.reviewsAdmin)} }] }
`,
    };
    const apps = {
      east: [{ port: P.frontend, service: "frontend", cluster: "east" }, { port: P.catalogE, service: "catalog", cluster: "east" }],
      west: [{ port: P.catalogE, service: "catalog", cluster: "west" }, { port: P.reviews, service: "reviews", cluster: "west" }],
    };
    for (const cluster of ["east", "west"] as const) {
      const { joinToken } = await admin.clusters.create.mutate({ name: cluster });
      const file = join(dir, `${cluster}.yaml`);
      await writeFile(file, files[cluster]);
      children.push(nodeIn(NS[cluster], APPS, [JSON.stringify(apps[cluster])]));
      const host = cluster === "east" ? ADDR.eastHost : ADDR.westHost;
      children.push(nodeIn(NS[cluster], LOOPBACK_RELAY, ["18198", host, String(relayPort)]));
      const args = [AGENT_BIN, "--manager", "http://127.0.0.1:18198", "--cluster", cluster, "--mode", "universal", "--universal-file", file, "--state-dir", join(dir, cluster), "--admin-port", "18199", "--log-level", "warn"];
      if (existsSync(bundled)) args.push("--proxy-bin", bundled);
      children.push(spawn("ip", ["netns", "exec", NS[cluster], process.execPath, ...args], { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, WEFT_JOIN_TOKEN: joinToken } }));
    }
  }, 120_000);

  afterAll(async () => {
    for (const child of children.reverse()) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    }
    relayServer?.close();
    await manager?.stop();
    if (manager) await removeHome(manager.home);
    await rm(dir, { recursive: true, force: true });
    removeNetwork();
  }, 60_000);

  it("calls across the gateways with mTLS, fails over or fails fast when west's gateway is cut, fails back, and honours export", { timeout: 300_000 }, async () => {
    // Cross-cluster: east's frontend reaches reviews (west only) through west's gateway; catalog stays local.
    const cross = await waitFor(async () => {
      const r = await drive(P.frontendOut, "reviews", 20);
      return r["200 - west"] === 20 && r;
    }, "east → reviews (west) through the gateway", 120_000, 1000);
    expect(cross).toEqual({ "200 - west": 20 });
    // mTLS end to end: east's proxy originated it, west's reviews proxy verified east's frontend (and names it).
    expect(series(await metricsIn(NS.east, P.frontendAdmin), { destination_service: "reviews", destination_cluster: "west", response_code: "200", mtls: "true" })).not.toEqual([]);
    expect(series(await metricsIn(NS.west, P.reviewsAdmin), { source_service: "frontend", source_cluster: "east", destination_service: "reviews", destination_cluster: "west", mtls: "true" })).not.toEqual([]);
    expect(await drive(P.frontendOut, "catalog", 50)).toEqual({ "200 - east": 50 });

    // Cut the east-west link: catalog keeps being served in east; reviews fails fast with a flag, never hangs
    // (503 UF: connect failure, UH: the gateway endpoint ejected; 504 UT: the request in flight on a pooled connection).
    expect(ip("-n", NS.west, "link", "set", `${LINKS.ew}b`, "down").ok).toBe(true);
    const cut = await drive(P.frontendOut, "reviews", 20);
    expect(Object.keys(cut).every((k) => /^(503 (UF|UH|URX)|504 UT)\b/.test(k)), JSON.stringify(cut)).toBe(true);
    expect(await drive(P.frontendOut, "catalog", 50)).toEqual({ "200 - east": 50 });

    // Restore it: once the gateway's ejection ends (30 s by default), reviews is served from west again.
    expect(ip("-n", NS.west, "link", "set", `${LINKS.ew}b`, "up").ok).toBe(true);
    await waitFor(async () => (await drive(P.frontendOut, "reviews", 10))["200 - west"] === 10, "reviews back through west's gateway", 120_000, 1000);
    expect(await drive(P.frontendOut, "reviews", 20)).toEqual({ "200 - west": 20 });

    // Export only catalog: reviews becomes unreachable from east (503 UH at once, never a hang), catalog is unaffected.
    await applyMesh({ multicluster: { export: { mode: "Selected", services: [{ namespace: "shop", name: "catalog" }] } } });
    await waitFor(async () => (await drive(P.frontendOut, "reviews", 5))["503 UH -"] === 5, "reviews unexported", 60_000, 500);
    expect(await drive(P.frontendOut, "reviews", 20)).toEqual({ "503 UH -": 20 });
    expect(await drive(P.frontendOut, "catalog", 20)).toEqual({ "200 - east": 20 });
    // Exporting it again takes effect with the next config push.
    await applyMesh({});
    await waitFor(async () => (await drive(P.frontendOut, "reviews", 5))["200 - west"] === 5, "reviews exported again", 60_000, 500);
  });
});
