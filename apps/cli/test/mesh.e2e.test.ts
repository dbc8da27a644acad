// weft against a real mesh: a manager, an agent process and its proxies,
// traffic the test sends through them. stat agrees with the dashboard's API
// (telemetry.edges) for the same window; check passes on the healthy mesh
// and names the reason when a proxy rejects config and when the cluster's
// agent is gone.
import { writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionClient } from "@weft/api/testing";
import { joinedAgentClient, send, startMesh, waitFor, type MeshFixture } from "./mesh-fixture.ts";

interface Group {
  destination: { cluster: string; namespace: string; service: string; version: string };
  source: { cluster: string; namespace: string; service: string; version: string } | null;
  requests: number;
  errors: number;
  rate: number;
  successPercent: number | null;
  mtlsPercent: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

describe("weft against a mesh with an agent and proxies", { timeout: 180_000 }, () => {
  let mesh: MeshFixture;
  let window: { from: string; to: string };
  /** Responses the test got through frontend-1's proxy, by status class. */
  const answered = { ok: 0, failed: 0 };

  beforeAll(async () => {
    mesh = await startMesh();
    const from = new Date();
    // 30 requests, 6 of them failing, from frontend-1's proxy to catalog.
    await waitFor(async () => (await send(mesh.frontend.outbound, "catalog")).status === 200 && ++answered.ok, "traffic through the proxies");
    for (let i = 0; i < 30; i++) {
      const reply = await send(mesh.frontend.outbound, "catalog", i % 5 === 0 ? "/fail" : "/products");
      if (reply.status === 200) answered.ok++;
      else if (reply.status === 500) answered.failed++;
    }
    // Every answer is counted once the agent has shipped the proxies' telemetry.
    await waitFor(
      async () => {
        const edges = await mesh.admin.telemetry.edges.query({ from, to: new Date(Date.now() + 60_000) });
        return edges.edges.find((e) => e.destination.service === "catalog" && e.requests === answered.ok + answered.failed);
      },
      "the test's requests in the telemetry",
      60_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${mesh.agentOutput()}`);
    });
    window = { from: from.toISOString(), to: new Date(Date.now() + 60_000).toISOString() };
  });
  afterAll(async () => {
    await mesh?.stop();
  });

  it("stat edges gives the dashboard API's numbers for the same window", async () => {
    const api = await mesh.admin.telemetry.edges.query({ from: new Date(window.from), to: new Date(window.to) });
    const cli = await mesh.weft(["stat", "edges", "--from", window.from, "--to", window.to, "-o", "json"]);
    expect(cli.code).toBe(0);
    const groups = (JSON.parse(cli.out) as { groups: Group[] }).groups;
    expect(groups.length).toBe(api.edges.length);
    for (const edge of api.edges) {
      const same = groups.find((g) => JSON.stringify(g.source) === JSON.stringify(edge.source) && JSON.stringify(g.destination) === JSON.stringify(edge.destination));
      expect(same, `${JSON.stringify(edge.source)} → ${JSON.stringify(edge.destination)}`).toBeDefined();
      expect({ requests: same!.requests, errors: same!.errors, rate: same!.rate, success: same!.successPercent, mtls: same!.mtlsPercent, p50: same!.p50, p99: same!.p99 }).toEqual({
        requests: edge.requests,
        errors: edge.errors,
        rate: edge.rate,
        success: 100 - edge.errorPercent,
        mtls: edge.mtlsPercent,
        p50: edge.p50,
        p99: edge.p99,
      });
    }
    // What the test sent: every answer counted once, a fifth of the 30 failed.
    const catalog = groups.find((g) => g.destination.service === "catalog")!;
    expect(catalog).toMatchObject({ requests: answered.ok + answered.failed, errors: answered.failed });
    expect(answered.failed).toBe(6);
    const edges = await mesh.weft(["edges", "--from", window.from, "--to", window.to]);
    expect(edges.out).toMatch(/^EDGE\s+SUCCESS\s+RPS\s+P50\s+P95\s+P99\s+MTLS\n/);
    expect(edges.out).toContain("east/shop/frontend@v1 → east/shop/catalog@v1");
    // The proxies served their SVIDs before the traffic started: every request went over mTLS.
    expect(catalog.mtlsPercent).toBe(100);
  });

  it("stat services sums the service's edges as the dashboard's services page does, with percentiles from all its requests", async () => {
    const api = await mesh.admin.telemetry.edges.query({ from: new Date(window.from), to: new Date(window.to) });
    const into = api.edges.filter((e) => e.destination.namespace === "shop" && e.destination.service === "catalog");
    const cli = await mesh.weft(["stat", "services", "catalog", "-n", "shop", "--from", window.from, "--to", window.to, "-o", "json"]);
    const [catalog, ...others] = (JSON.parse(cli.out) as { groups: Group[] }).groups;
    expect(others).toEqual([]);
    const requests = into.reduce((n, e) => n + e.requests, 0);
    const errors = into.reduce((n, e) => n + e.errors, 0);
    const mtls = into.reduce((n, e) => n + ((e.mtlsPercent ?? 0) * e.requests) / 100, 0);
    expect(catalog).toMatchObject({ requests, errors, successPercent: ((requests - errors) / requests) * 100 });
    expect(catalog!.mtlsPercent).toBeCloseTo((mtls / requests) * 100, 10);
    expect(catalog!.rate).toBeCloseTo(into.reduce((n, e) => n + e.rate, 0), 10);
    expect(catalog!.p50! <= catalog!.p95! && catalog!.p95! <= catalog!.p99!).toBe(true);

    const table = await mesh.weft(["stat", "svc", "shop/catalog", "--from", window.from, "--to", window.to]);
    expect(table.out.split("\n")[0]).toMatch(/^SERVICE\s+SUCCESS\s+RPS\s+P50\s+P95\s+P99\s+MTLS$/);
    expect(table.out.split("\n")[1]).toMatch(new RegExp(`^shop/catalog\\s+${(((requests - errors) / requests) * 100).toFixed(2)}%\\s+[\\d.]+\\s+[\\d.]+ms\\s+[\\d.]+ms\\s+[\\d.]+ms\\s+100%$`));
  });

  it("top prints frames of the busiest services until stopped", async () => {
    const result = await mesh.weft(["top", "services", "--interval", "500ms", "--frames", "2"]);
    expect(result.code).toBe(0);
    const frames = result.out.split(/^weft top: /m).filter(Boolean);
    expect(frames).toHaveLength(2);
    for (const frame of frames) expect(frame).toMatch(/\nSERVICE\s+SUCCESS\s+RPS\s+P50\s+P95\s+P99\s+MTLS\nshop\/catalog\s+/);
    const stop = new AbortController();
    const live = mesh.weft(["top", "--interval", "500ms"], { signal: stop.signal, onStdout: () => stop.abort() });
    expect((await live).code).toBe(0);
  });

  it("proxy-status asks the agent: both proxies run the mesh's current config", async () => {
    const table = await mesh.weft(["proxy-status"]);
    expect(table).toMatchObject({ code: 0, err: "" });
    expect(table.out).toMatch(/^CLUSTER\s+PROXY\s+SERVICE\s+STATE\s+SYNC\s+MESH-CONFIG\n/);
    expect(table.out).toMatch(/\neast\s+shop\/catalog-1\s+catalog@v1\s+running\s+SYNCED\s+\d+\n/);
    expect(table.out).toMatch(/\neast\s+shop\/frontend-1\s+frontend@v1\s+running\s+SYNCED\s+\d+\n/);
    const json = JSON.parse((await mesh.weft(["proxy-status", "--cluster", "east", "-o", "json"])).out) as { meshConfigVersion: number; clusters: { cluster: string; proxies: { proxy: string; meshConfigVersion: string; sync: string }[] }[] };
    expect(json.clusters[0]!.proxies.map((p) => [p.proxy, p.sync, p.meshConfigVersion])).toEqual([
      ["shop/catalog-1", "synced", String(json.meshConfigVersion)],
      ["shop/frontend-1", "synced", String(json.meshConfigVersion)],
    ]);
  });

  it("proxy-config shows what one proxy runs, from its agent, without secrets", async () => {
    const summary = await mesh.weft(["proxy-config", "east/shop/frontend-1"]);
    expect(summary.code).toBe(0);
    expect(summary.out).toMatch(/^proxy east\/shop\/frontend-1 runs config c\S+\n/);
    expect(summary.out).toMatch(new RegExp(`\\noutbound\\s+outbound\\s+127\\.0\\.0\\.1:${mesh.frontend.outbound}\\n`));
    expect(summary.out).toMatch(/\nBACKEND\s+ENDPOINTS\n(.*\n)*.*catalog/);
    const full = await mesh.weft(["proxy-config", "east/shop/frontend-1", "-o", "json"]);
    const dump = JSON.parse(full.out) as { config: { listeners: { kind: string; port: number }[] } };
    expect(dump.config.listeners.map((l) => l.kind).sort()).toEqual(["admin", "inbound", "outbound"]);
    expect(full.out).not.toMatch(/PRIVATE KEY/);
    const missing = await mesh.weft(["proxy-config", "east/shop/nobody-1"]);
    expect(missing).toMatchObject({ code: 1, err: expect.stringContaining("proxy shop/nobody-1 in cluster east not found") });
  });

  it("tap shows a request the test sent within 2 s, and is refused to a viewer", async () => {
    const stop = new AbortController();
    let out = "";
    let relayed!: () => void;
    const attached = new Promise<void>((resolve) => (relayed = resolve));
    const tap = mesh.weft(["tap", "catalog", "-n", "shop", "--path", "/tapped"], { signal: stop.signal, onStdout: (t) => void (out += t), onStderr: (t) => t.includes("relayed by cluster east") && relayed() });
    await attached;
    const path = `/tapped/${Date.now()}`;
    expect((await send(mesh.frontend.outbound, "catalog", path)).status).toBe(200);
    // Seen by frontend-1's proxy (outbound) and catalog-1's (inbound).
    await waitFor(() => out.includes(`/shop/frontend-1  frontend → catalog@v1  GET catalog${path}  :status=200`) && out.includes(`in   east/shop/catalog-1`), "the tapped request", 2000, 50).catch((err: Error) => {
      throw new Error(`${err.message}\n${out}`);
    });
    expect(out).not.toContain("/products");
    stop.abort();
    expect((await tap).code).toBe(0);

    const { client: admin } = await sessionClient(mesh.manager.url, "admin", mesh.manager.adminPassword);
    await admin.users.create.mutate({ username: "watcher", password: "watcher-password-1234", role: "VIEWER" });
    const viewerConfig = join(mesh.dir, "viewer.json");
    expect((await mesh.weft(["login", "--server", mesh.manager.url, "--username", "watcher", "--password-stdin"], { config: viewerConfig, stdin: "watcher-password-1234\n" })).code).toBe(0);
    const refused = await mesh.weft(["tap", "catalog", "-n", "shop"], { config: viewerConfig });
    expect(refused.code).toBe(1);
    expect(refused.out).toBe("");
    expect(refused.err).toMatch(/^error: .*(OPERATOR|permission|forbidden)/im);
  });

  it("check passes on the healthy mesh", async () => {
    const check = await mesh.weft(["check"]);
    expect(check.out).toContain("✔ cluster east is connected");
    expect(check.out).toContain("✔ cluster east: agent clock agrees with the manager's");
    expect(check.out).toContain("✔ cluster east: proxies on the current config");
    expect(check.out).toContain("✔ certificates are renewed in time");
    expect(check).toMatchObject({ code: 0, out: expect.stringContaining("Status check results are ✔") });
  });

  describe("when things go wrong", () => {
    let squatter: Server;
    afterAll(async () => {
      await new Promise((resolve) => squatter?.close(resolve));
    });

    it("check names the proxy that rejects config, and why", async () => {
      // Another process holds the local port frontend-1's proxy must bind for the TCP service ledger,
      // which another cluster's agent now reports.
      squatter = createServer();
      await new Promise<void>((resolve) => squatter.listen(mesh.ledgerLocalPort, "127.0.0.1", resolve));
      const west = await mesh.admin.clusters.create.mutate({ name: "west" });
      const agent = await joinedAgentClient(mesh.manager.url, west.joinToken);
      await agent.agent.resyncDiscovery.mutate({
        seq: 1,
        services: [{ namespace: "shop", name: "ledger", ports: [{ port: 5432, protocol: "tcp" }] }],
        workloads: [{ namespace: "shop", name: "ledger-1", serviceAccount: "ledger" }],
        endpoints: [{ namespace: "shop", service: "ledger", address: "10.9.0.1", port: 5432, protocol: "tcp", ready: true, workload: "ledger-1" }],
      });
      // A new config version for every proxy: east's now includes the ledger listener.
      const policy = join(mesh.dir, "catalog-policy.yaml");
      await writeFile(policy, "apiVersion: weft.io/v1alpha1\nkind: TrafficPolicy\nmetadata:\n  name: catalog\n  namespace: shop\nspec:\n  targetRef:\n    name: catalog\n  loadBalancer:\n    algorithm: LEAST_REQUEST\n");
      expect((await mesh.weft(["apply", "-f", policy])).code).toBe(0);
      await waitFor(async () => (await mesh.admin.clusters.byId.query({ id: mesh.eastId })).sync.state === "rejected", "east to reject the config", 60_000).catch((err: Error) => {
        throw new Error(`${err.message}\n${mesh.agentOutput()}`);
      });
      const check = await mesh.weft(["check"]);
      expect(check.code).toBe(1);
      expect(check.out).toMatch(/✘ cluster east: proxies on the current config\n {4}1 of 2 proxies reject config version \d+ \(shop\/frontend-1: .*EADDRINUSE/);
      expect(check.out).toMatch(/✘ cluster east is in sync\n {4}config version \d+ was rejected: proxy shop\/frontend-1 refused: /);
    });

    it("check names a cluster whose agent is gone", async () => {
      await mesh.stopAgent();
      await waitFor(async () => (await mesh.admin.clusters.byId.query({ id: mesh.eastId })).status === "DISCONNECTED", "east to show as disconnected");
      const check = await mesh.weft(["check", "-o", "json"]);
      expect(check.code).toBe(1);
      const failed = (JSON.parse(check.out) as { checks: { name: string; status: string; detail: string }[] }).checks.filter((c) => c.status === "fail");
      expect(failed).toContainEqual({ group: "clusters", name: "cluster east is connected", status: "fail", detail: expect.stringMatching(/^its agent is disconnected \(last seen \d{4}-/) });
    });
  });
});
