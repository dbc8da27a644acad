import { describe, expect, it } from "vitest";
import type { CompileDiagnostic } from "../compiler/diagnostics.ts";
import { foldProxyDiagnostics } from "./ack-diagnostics.ts";
import { ConfigAckSchema, MAX_ACK_DIAGNOSTICS } from "./config-ack.schema.ts";

const unreachable: CompileDiagnostic = {
  severity: "warning",
  code: "unreachable_endpoint",
  path: "catalog",
  service: "shop/inventory",
  message: "shop/inventory in cluster west has no proxy in front of it, and its east-west gateway only passes mTLS through to a proxy: those endpoints are left out (mesh them, or call the service in its own cluster)",
};
const unknownTarget: CompileDiagnostic = { severity: "info", code: "unknown_target", resource: "TrafficPolicy/shop/ledger", path: "spec.targetRef", message: "service shop/ledger is not in the catalog; the policy has no effect here" };
const failClosed: CompileDiagnostic = { severity: "error", code: "unknown_backend", resource: "HTTPRoute/shop/cart", path: "spec.rules[0].backendRefs[0]", message: "shop/carts is not in the catalog; its share answers 503" };

describe("foldProxyDiagnostics", () => {
  it("sends a finding many proxies share once, naming them, errors first", () => {
    const folded = foldProxyDiagnostics([
      { proxy: "shop/catalog-v2", diagnostics: [unreachable, unknownTarget] },
      { proxy: "shop/catalog-v1", diagnostics: [unreachable, unknownTarget] },
      { proxy: "shop/frontend", diagnostics: [unknownTarget, failClosed] },
      { proxy: "shop/cart", diagnostics: [] },
    ]);
    expect(folded.map((d) => [d.severity, d.code, d.proxies, d.proxyCount])).toEqual([
      ["error", "unknown_backend", ["shop/frontend"], 1],
      ["warning", "unreachable_endpoint", ["shop/catalog-v1", "shop/catalog-v2"], 2],
      ["info", "unknown_target", ["shop/catalog-v1", "shop/catalog-v2", "shop/frontend"], 3],
    ]);
    expect(folded[1]).toMatchObject({ service: "shop/inventory", path: "catalog", message: unreachable.message });
    expect(folded[1]).not.toHaveProperty("resource");
    // What the agent sends is what the manager accepts.
    expect(ConfigAckSchema.parse({ configVersion: "3", status: "applied", diagnostics: folded }).diagnostics).toEqual(folded);
  });

  it("stays within the wire limits: 20 proxy names with the count, long texts clipped, at most the cap, info cut first", () => {
    const many = Array.from({ length: 25 }, (_, i) => ({ proxy: `shop/caller-${String(i).padStart(2, "0")}`, diagnostics: [unreachable] }));
    const [one] = foldProxyDiagnostics(many);
    expect(one?.proxies).toHaveLength(20);
    expect(one?.proxyCount).toBe(25);

    const long = foldProxyDiagnostics([{ proxy: "shop/a", diagnostics: [{ ...unreachable, message: "x".repeat(5000) }] }]);
    expect(long[0]?.message).toHaveLength(2000);

    const noisy = Array.from({ length: MAX_ACK_DIAGNOSTICS + 10 }, (_, i): CompileDiagnostic => ({ ...unknownTarget, message: `info ${i}` }));
    const capped = foldProxyDiagnostics([{ proxy: "shop/a", diagnostics: [...noisy, failClosed] }]);
    expect(capped).toHaveLength(MAX_ACK_DIAGNOSTICS);
    expect(capped[0]?.code).toBe("unknown_backend");
    expect(() => ConfigAckSchema.parse({ configVersion: "3", status: "applied", diagnostics: capped })).not.toThrow();
  });

  it("is deterministic: report order does not matter", () => {
    const a = foldProxyDiagnostics([{ proxy: "x/a", diagnostics: [unknownTarget, unreachable] }, { proxy: "x/b", diagnostics: [unreachable] }]);
    const b = foldProxyDiagnostics([{ proxy: "x/b", diagnostics: [unreachable] }, { proxy: "x/a", diagnostics: [unreachable, unknownTarget] }]);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });
});
