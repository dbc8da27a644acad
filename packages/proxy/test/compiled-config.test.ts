// The compiler and the proxy together: resources + catalog → ProxyConfig →
// a real WeftProxy in front of real upstreams on loopback.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type CompileInputRaw, compileProxyConfig } from "@weft/mesh-model/compiler";
import { ProxyConfigSchema } from "@weft/mesh-model/proxy-config";
import { port, send, sendMany, Stack, type Upstream } from "./harness.ts";
import { createPki, id, issue, svidTlsCredentials, TRUST_DOMAIN, type Pki } from "./pki.ts";

const stack = new Stack();
afterEach(() => stack.close());

function canaryInput(v1: Upstream, v2: Upstream, weights: { v1: number; v2: number }): CompileInputRaw {
  return {
    resources: [
      {
        createdAt: "2024-03-01T10:00:00Z",
        resource: {
          apiVersion: "weft.io/v1alpha1",
          kind: "HTTPRoute",
          metadata: { name: "reviews", namespace: "shop" },
          spec: {
            parentRefs: [{ kind: "Service", name: "reviews" }],
            rules: [
              {
                name: "testers",
                matches: [{ headers: [{ type: "Exact", name: "x-canary", value: "true" }] }],
                backendRefs: [{ kind: "Service", name: "reviews", version: "v2", weight: 1 }],
              },
              {
                name: "split",
                backendRefs: [
                  { kind: "Service", name: "reviews", version: "v1", weight: weights.v1 },
                  { kind: "Service", name: "reviews", version: "v2", weight: weights.v2 },
                ],
              },
            ],
          },
        },
      },
    ],
    catalog: {
      services: [
        {
          name: "reviews",
          namespace: "shop",
          cluster: "east",
          ports: [{ name: "http", port: 9080, protocol: "HTTP" }],
          endpoints: [
            { address: "127.0.0.1", port: v1.port, version: "v1", cluster: "east", ready: true },
            { address: "127.0.0.1", port: v2.port, version: "v2", cluster: "east", ready: true },
          ],
        },
      ],
    },
    workload: { name: "frontend-1", namespace: "shop", service: "frontend", cluster: "east", serviceAccount: "frontend" },
    options: { outboundPort: 0, inboundPort: 0, adminPort: 0 },
  };
}

describe("a compiled config on a real proxy", () => {
  // 2,100 requests on fresh connections: seconds on a loaded 2-core machine.
  it("sends the header match to v2 always and splits the rest 90/10 by version", { timeout: 60_000 }, async () => {
    const v1 = await stack.upstream("v1");
    const v2 = await stack.upstream("v2");
    const { config, diagnostics } = compileProxyConfig(canaryInput(v1, v2, { v1: 90, v2: 10 }));
    expect(diagnostics).toEqual([]);
    expect(ProxyConfigSchema.safeParse(config).success).toBe(true);
    const proxy = await stack.proxy(config);
    const p = port(proxy);

    const testers = await sendMany(100, 10, () => send({ port: p, host: "reviews", path: "/", headers: { "x-canary": "true" } }));
    expect(testers.map((r) => r.headers["x-upstream"])).toEqual(Array(100).fill("v2"));

    const n = 2000;
    const split = await sendMany(n, 20, (i) => send({ port: p, host: i % 2 ? "reviews.shop" : "reviews.shop.svc.cluster.local", path: `/items/${i}`, absolute: i % 3 === 0 }));
    expect(split.every((r) => r.status === 200)).toBe(true);
    const toV2 = split.filter((r) => r.headers["x-upstream"] === "v2").length;
    // Binomial(2000, 0.1): mean 200, sd ≈ 13.4; ±5 sd keeps a flake below one in a million.
    expect(toV2).toBeGreaterThan(200 - 5 * 13.4);
    expect(toV2).toBeLessThan(200 + 5 * 13.4);
  });

  it("promotes the canary by recompiling and applying the new version, which the admin listener reports", async () => {
    const v1 = await stack.upstream("v1");
    const v2 = await stack.upstream("v2");
    const first = compileProxyConfig(canaryInput(v1, v2, { v1: 90, v2: 10 })).config;
    const proxy = await stack.proxy(first);
    const promoted = compileProxyConfig(canaryInput(v1, v2, { v1: 0, v2: 100 })).config;
    expect(promoted.version).not.toBe(first.version);
    // Recompiling the same input gives the same version: the agent can skip a push.
    expect(compileProxyConfig(canaryInput(v1, v2, { v1: 0, v2: 100 })).config.version).toBe(promoted.version);

    const applied = await proxy.applyConfig(promoted);
    expect(applied).toMatchObject({ ok: true, version: promoted.version });
    const after = await sendMany(200, 10, () => send({ port: port(proxy), host: "reviews", path: "/" }));
    expect(new Set(after.map((r) => r.headers["x-upstream"]))).toEqual(new Set(["v2"]));
    const active = await send({ port: port(proxy, "admin"), path: "/config" });
    expect(active.body).toContain(promoted.version);
  });
});

describe("a compiled STRICT config with real certificates", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  /** The identity the agent hands the compiler: file sources, written here as the agent would. */
  async function identityFiles(pki: Pki, spiffeId: string) {
    const dir = await mkdtemp(join(tmpdir(), "weft-compiled-mtls-"));
    dirs.push(dir);
    const { cert, key } = svidTlsCredentials(await issue(pki, spiffeId));
    const paths = { certChainPath: join(dir, "svid.pem"), keyPath: join(dir, "key.pem"), bundle: join(dir, "bundle.pem") };
    await Promise.all([writeFile(paths.certChainPath, cert), writeFile(paths.keyPath, key, { mode: 0o600 }), writeFile(paths.bundle, pki.root.certificatePem)]);
    return { trustDomain: TRUST_DOMAIN, svid: { source: "file" as const, certChainPath: paths.certChainPath, keyPath: paths.keyPath }, trustBundle: { source: "file" as const, path: paths.bundle } };
  }

  it("refuses plaintext, serves a meshed caller over mTLS and enforces the compiled DENY policy", async () => {
    const pki = await createPki("east");
    const app = await stack.upstream("api-app");
    const deny = {
      resource: {
        apiVersion: "weft.io/v1alpha1" as const,
        kind: "AuthorizationPolicy" as const,
        metadata: { name: "no-admin", namespace: "shop" },
        spec: { targetRef: { name: "api" }, action: "DENY" as const, rules: [{ to: { paths: ["/admin*"] } }] },
      },
    };
    const apiService = (inboundPort: number) => ({
      name: "api",
      namespace: "shop",
      cluster: "east",
      ports: [{ port: 8080, protocol: "HTTP" as const }],
      endpoints: [{ address: "127.0.0.1", port: inboundPort, cluster: "east", ready: true, serviceAccount: "api" }],
    });
    const api = compileProxyConfig({
      resources: [deny],
      catalog: { services: [apiService(8080)] },
      workload: { name: "api-1", namespace: "shop", service: "api", cluster: "east", serviceAccount: "api", appPorts: [{ port: app.port }] },
      options: { outboundPort: 0, inboundPort: 0, adminPort: 0, identity: await identityFiles(pki, id("shop", "api")) },
    });
    expect(api.diagnostics).toEqual([]);
    expect(api.config.listeners.find((l) => l.kind === "inbound")).toMatchObject({ mtlsMode: "STRICT" });
    const apiProxy = await stack.proxy(api.config);
    const inbound = port(apiProxy, "inbound");

    await expect(send({ port: inbound, path: "/" })).rejects.toThrow();

    const web = compileProxyConfig({
      catalog: { services: [apiService(inbound)] },
      workload: { name: "web-1", namespace: "shop", service: "web", cluster: "east", serviceAccount: "web" },
      options: { outboundPort: 0, inboundPort: 0, adminPort: 0, identity: await identityFiles(pki, id("shop", "web")) },
    });
    expect(web.config.backends.find((b) => b.name === "api.shop:8080")?.mtls).toEqual({ expectedIdentities: [id("shop", "api")] });
    const webProxy = await stack.proxy(web.config);
    const ok = await send({ port: port(webProxy), host: "api", path: "/items" });
    expect(ok.status).toBe(200);
    expect(app.seen.map((r) => r.headers["x-weft-peer-identity"])).toEqual([id("shop", "web")]);
    const denied = await send({ port: port(webProxy), host: "api", path: "/admin/users" });
    expect(denied.status).toBe(403);
    expect(app.seen).toHaveLength(1);
  });
});
