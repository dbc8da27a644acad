// The compiler's diagnostics from the proxies to the people: an agent
// acknowledges a config version with what the compiler said (folded per
// finding), the manager keeps each cluster's latest, and diagnostics.list
// shows them to viewers, filtered, with the reason in words.
import { foldProxyDiagnostics } from "@weft/mesh-model";
import { compileProxyConfig, type CompileInputRaw } from "@weft/mesh-model/compiler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, joinedAgent, sessionClient, startTestManager, tokenClient, type ApiClient, type TestManager } from "../src/testing.ts";
import { userWithToken } from "./support.ts";

async function errorOf(promise: Promise<unknown>): Promise<{ code?: string; fieldErrors?: { path: string }[] | null }> {
  try {
    await promise;
  } catch (err) {
    const e = err as { data?: { code?: string; fieldErrors?: { path: string }[] | null } };
    return { code: e.data?.code, fieldErrors: e.data?.fieldErrors ?? null };
  }
  throw new Error("expected the call to fail");
}

/** East's catalog proxy: inventory has no proxy in either cluster, so west's instance (behind west's gateway) can never serve it. */
const catalogProxy = (name: string): CompileInputRaw => ({
  catalog: {
    services: [
      { name: "inventory", namespace: "shop", cluster: "east", ports: [{ port: 8080, protocol: "HTTP" }], endpoints: [{ address: "127.0.0.1", port: 17040, cluster: "east", ready: true, sidecar: false }] },
      { name: "inventory", namespace: "shop", cluster: "west", ports: [{ port: 8080, protocol: "HTTP" }], endpoints: [{ address: "198.51.100.7", port: 15443, cluster: "west", ready: true, viaGateway: true, sidecar: false }] },
    ],
  },
  workload: { name, namespace: "shop", service: "catalog", cluster: "east", serviceAccount: "catalog" },
  options: {
    outboundPort: 15001,
    inboundPort: 15006,
    adminPort: 15000,
    identity: { trustDomain: "weft.local", svid: { source: "file", certChainPath: "/run/svid.pem", keyPath: "/run/key.pem" }, trustBundle: { source: "file", path: "/run/bundle.pem" } },
  },
});

describe("compile diagnostics", () => {
  let m: TestManager;
  let admin: ApiClient;
  let east: Awaited<ReturnType<typeof joinedAgent>>;

  beforeAll(async () => {
    m = await startTestManager();
    admin = (await sessionClient(m.url, "admin", m.adminPassword)).client;
    east = await joinedAgent(admin, m.url, "east");
    await joinedAgent(admin, m.url, "west");
  });
  afterAll(async () => {
    await m?.stop();
  });

  it("travel with the agent's acknowledgement and are listed per cluster, the reason in words, to a viewer", async () => {
    const version = (await admin.mesh.status.query()).configVersion.toString();
    const diagnostics = foldProxyDiagnostics(["shop/catalog-v1", "shop/catalog-v2"].map((proxy) => ({ proxy, diagnostics: compileProxyConfig(catalogProxy(proxy.slice(5))).diagnostics })));
    expect(diagnostics.map((d) => d.code)).toContain("unreachable_endpoint");
    await east.client.agent.ackConfig.mutate({ configVersion: version, status: "applied", proxies: [{ proxy: "shop/catalog-v1", status: "applied" }, { proxy: "shop/catalog-v2", status: "applied" }], diagnostics });

    const viewer = tokenClient(m.url, (await userWithToken(admin, m.url, sessionClient, "vera", "VIEWER")).token);
    const view = await viewer.diagnostics.list.query({ service: "shop/inventory" });
    expect(view.diagnostics).toHaveLength(1);
    expect(view.diagnostics[0]).toMatchObject({ cluster: "east", severity: "warning", code: "unreachable_endpoint", service: "shop/inventory", proxies: ["shop/catalog-v1", "shop/catalog-v2"], proxyCount: 2, configVersion: BigInt(version) });
    expect(view.diagnostics[0]?.message).toMatch(/shop\/inventory in cluster west has no proxy in front of it/);
    expect(view.sources.map((s) => [s.cluster, s.current])).toEqual([["east", true], ["west", false]]);

    // Another service, another cluster: nothing.
    expect((await viewer.diagnostics.list.query({ service: "shop/reviews" })).diagnostics).toEqual([]);
    expect((await viewer.diagnostics.list.query({ cluster: "west" })).diagnostics).toEqual([]);
  });

  it("keep only the latest acknowledgement's findings: a fixed problem disappears", async () => {
    const version = (await admin.mesh.status.query()).configVersion.toString();
    await east.client.agent.ackConfig.mutate({ configVersion: version, status: "applied", proxies: [{ proxy: "shop/catalog-v1", status: "applied" }] });
    expect((await admin.diagnostics.list.query({})).diagnostics).toEqual([]);
  });

  it("refuse the unauthenticated, bad filters with the field, an unknown cluster by name, and malformed findings from an agent", async () => {
    expect((await errorOf(apiClient(m.url).diagnostics.list.query({}))).code).toBe("UNAUTHORIZED");
    expect((await errorOf(admin.diagnostics.list.query({ service: "inventory" }))).fieldErrors?.map((f) => f.path)).toEqual(["service"]);
    expect((await errorOf(admin.diagnostics.list.query({ severity: "fatal" as "error" }))).fieldErrors?.map((f) => f.path)).toEqual(["severity"]);
    expect((await errorOf(admin.diagnostics.list.query({ cluster: "nowhere" }))).code).toBe("NOT_FOUND");
    const version = (await admin.mesh.status.query()).configVersion.toString();
    const bad = await errorOf(
      east.client.agent.ackConfig.mutate({ configVersion: version, status: "applied", diagnostics: [{ severity: "warning", code: "x", message: "m", path: "catalog", proxies: [], proxyCount: 0 }] }),
    );
    expect(bad.fieldErrors?.map((f) => f.path).sort()).toEqual(["diagnostics[0].proxies", "diagnostics[0].proxyCount"]);
  });
});
