import type { AckDiagnostic } from "@weft/mesh-model";
import { describe, expect, it } from "vitest";
import type { ClusterDiagnostics } from "../clusters/clusters.repository.ts";
import { diagnosticsView } from "./diagnostics-view.ts";

const unreachable: AckDiagnostic = {
  severity: "warning",
  code: "unreachable_endpoint",
  path: "catalog",
  service: "shop/inventory",
  message: "shop/inventory in cluster west has no proxy in front of it, and its east-west gateway only passes mTLS through to a proxy: those endpoints are left out",
  proxies: ["shop/catalog-v1", "shop/catalog-v2"],
  proxyCount: 2,
};
const notExported: AckDiagnostic = { severity: "warning", code: "not_exported", path: "catalog", service: "shop/reviews", message: "shop/reviews runs in cluster west, which does not export it", proxies: ["shop/frontend"], proxyCount: 1 };
const unknownTarget: AckDiagnostic = { severity: "info", code: "unknown_target", resource: "TrafficPolicy/shop/ledger", path: "spec.targetRef", message: "service shop/ledger is not in the catalog", proxies: ["shop/frontend"], proxyCount: 1 };
const failClosed: AckDiagnostic = { severity: "error", code: "unknown_backend", resource: "HTTPRoute/shop/cart", path: "spec.rules[0]", message: "shop/carts is not in the catalog", proxies: ["shop/frontend"], proxyCount: 1 };

const at = new Date("2026-12-06T18:00:00Z");
const clusters: ClusterDiagnostics[] = [
  { cluster: "west", configVersion: 4n, reportedAt: at, diagnostics: [unreachable, unknownTarget] },
  { cluster: "east", configVersion: 5n, reportedAt: at, diagnostics: [unknownTarget, notExported, unreachable, failClosed] },
  { cluster: "central", configVersion: null, reportedAt: null, diagnostics: [] },
];

describe("diagnosticsView", () => {
  it("lists every cluster's findings, errors first, then by cluster and code, with counts and where each cluster stands", () => {
    const view = diagnosticsView(clusters, 5n);
    expect(view.diagnostics.map((d) => `${d.severity} ${d.cluster} ${d.code}`)).toEqual([
      "error east unknown_backend",
      "warning east not_exported",
      "warning east unreachable_endpoint",
      "warning west unreachable_endpoint",
      "info east unknown_target",
      "info west unknown_target",
    ]);
    expect(view.counts).toEqual({ error: 1, warning: 3, info: 2 });
    expect(view.sources.map((s) => [s.cluster, s.current])).toEqual([
      ["west", false],
      ["east", true],
      ["central", false],
    ]);
    expect(view.diagnostics[2]).toMatchObject({ cluster: "east", configVersion: 5n, reportedAt: at, proxies: ["shop/catalog-v1", "shop/catalog-v2"], proxyCount: 2 });
  });

  it.each([
    [{ service: "shop/inventory" }, ["east unreachable_endpoint", "west unreachable_endpoint"]],
    [{ cluster: "west" }, ["west unreachable_endpoint", "west unknown_target"]],
    [{ severity: "warning" as const }, ["east unknown_backend", "east not_exported", "east unreachable_endpoint", "west unreachable_endpoint"]],
    [{ severity: "error" as const }, ["east unknown_backend"]],
    [{ code: "not_exported" }, ["east not_exported"]],
    [{ service: "shop/nothing" }, []],
  ])("filters by %o", (filter, expected) => {
    expect(diagnosticsView(clusters, 5n, filter).diagnostics.map((d) => `${d.cluster} ${d.code}`)).toEqual(expected);
  });
});
