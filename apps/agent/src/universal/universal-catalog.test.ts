// Readiness of universal instances: the file's `ready` and, for an instance
// with a proxy, the proxy's own readiness (what discovery reports and what
// the local proxies and the east-west gateway compile).
import { describe, expect, it } from "vitest";
import { gatewayCompileInput } from "../gateway/gateway-inputs.ts";
import { sharedCompileInput } from "../mesh-config/compile-inputs.ts";
import { instanceReady, universalToCatalog, withProxyReadiness } from "./universal-catalog.ts";
import { parseUniversalFile } from "./universal-provider.ts";

const PROXY = { inboundPort: 15006, outboundPort: 15001, adminPort: 15100 };

describe("instanceReady", () => {
  it.each([
    // file ready, has a proxy, proxy ready (undefined: no readiness known to the caller), expected
    [true, false, undefined, true],
    [true, false, false, true],
    [false, false, true, false],
    [true, true, undefined, true],
    [true, true, true, true],
    [true, true, false, false],
    [false, true, true, false],
    [false, true, false, false],
  ])("file ready %s, proxy %s, proxy ready %s → %s", (fileReady, hasProxy, proxyReady, expected) => {
    const inst = { ready: fileReady, ...(hasProxy && { proxy: PROXY }) };
    expect(instanceReady(inst, "default/a-0", proxyReady === undefined ? undefined : () => proxyReady)).toBe(expected);
  });

  it("asks for the instance's own proxy by `<namespace>/<instance>`", () => {
    const asked: string[] = [];
    const file = parseUniversalFile(
      "u.yaml",
      `services:
  - name: reviews
    namespace: shop
    instances:
      - { address: 127.0.0.1, port: 9080, proxy: { inboundPort: 15006, outboundPort: 15001, adminPort: 15100 } }
      - { name: reviews-b, address: 127.0.0.1, port: 9081, proxy: { inboundPort: 15016, outboundPort: 15011, adminPort: 15110 } }
`,
    );
    withProxyReadiness(file, (id) => (asked.push(id), true));
    expect(asked).toEqual(["shop/reviews-0", "shop/reviews-b"]);
  });
});

describe("readiness of instances with a proxy, as callers see it", () => {
  const file = parseUniversalFile(
    "u.yaml",
    `services:
  - name: reviews
    instances:
      - { name: up, address: 127.0.0.1, port: 9080, proxy: { inboundPort: 15006, outboundPort: 15001, adminPort: 15100 } }
      - { name: starting, address: 127.0.0.1, port: 9081, proxy: { inboundPort: 15016, outboundPort: 15011, adminPort: 15110 } }
      - { name: drained, address: 127.0.0.1, port: 9082, ready: false, proxy: { inboundPort: 15026, outboundPort: 15021, adminPort: 15120 } }
      - { name: bare, address: 127.0.0.1, port: 9083 }
`,
  );
  const proxyReady = (id: string) => id === "default/up" || id === "default/drained";
  const readyOf = <E extends { ready: boolean }>(endpoints: E[], name: (e: E) => string) => Object.fromEntries(endpoints.map((e) => [name(e), e.ready]));

  it("discovery reports an instance with a proxy ready only while its proxy is, and one without as its file says", () => {
    const snapshot = universalToCatalog(file, proxyReady);
    expect(readyOf(snapshot.endpoints, (e) => e.workload ?? "")).toEqual({ up: true, starting: false, drained: false, bare: true });
  });

  it("without a readiness source the file alone decides (as before)", () => {
    expect(readyOf(universalToCatalog(file).endpoints, (e) => e.workload ?? "")).toEqual({ up: true, starting: true, drained: false, bare: true });
    expect(withProxyReadiness(file, undefined)).toBe(file);
  });

  it("the local proxies compile a not-ready proxy's endpoint as not ready (its inbound port is not open yet)", () => {
    const services = sharedCompileInput(withProxyReadiness(file, proxyReady), "west", undefined).catalog?.services ?? [];
    const endpoints = services.flatMap((s) => s.endpoints ?? []);
    expect(readyOf(endpoints, (e) => String(e.port))).toEqual({ "15006": true, "15016": false, "15026": false, "9083": true });
  });

  it("the east-west gateway hands callers only to ready proxies", () => {
    const gatewayFile = { ...file, gateway: { address: "10.0.0.1", bindAddress: "0.0.0.0", port: 15443, adminPort: 15444 } } as typeof file;
    const services = gatewayCompileInput(withProxyReadiness(gatewayFile, proxyReady), "west")?.catalog?.services ?? [];
    const endpoints = services.flatMap((s) => s.endpoints ?? []);
    expect(readyOf(endpoints, (e) => String(e.port))).toEqual({ "15006": true, "15016": false, "15026": false });
  });

  it("leaves every other field of an instance as it is", () => {
    const ready = withProxyReadiness(file, () => false);
    const instances = ready.services[0]?.instances ?? [];
    expect(instances.map(({ ready: _ready, ...rest }) => rest)).toEqual((file.services[0]?.instances ?? []).map(({ ready: _ready, ...rest }) => rest));
    // Unchanged instances are the same objects (only what changed is copied).
    expect(instances[3]).toBe(file.services[0]?.instances[3]);
  });
});
