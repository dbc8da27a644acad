// The compiler and the proxy together: resources + catalog → ProxyConfig →
// a real WeftProxy in front of real upstreams on loopback.
import { afterEach, describe, expect, it } from "vitest";
import { type CompileInputRaw, compileProxyConfig } from "@weft/mesh-model/compiler";
import { ProxyConfigSchema } from "@weft/mesh-model/proxy-config";
import { port, send, sendMany, Stack, type Upstream } from "./harness.ts";

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
  it("sends the header match to v2 always and splits the rest 90/10 by version", async () => {
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
