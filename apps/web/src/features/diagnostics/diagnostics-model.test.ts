import { describe, expect, it } from "vitest";
import { aboutOf, codeInWords, diagnosticsForService, reportedBy, type DiagnosticLike } from "./diagnostics-model.ts";

const row = (over: Partial<DiagnosticLike>): DiagnosticLike => ({ severity: "warning", code: "unreachable_endpoint", message: "m", path: "catalog", cluster: "east", proxies: ["shop/catalog-v1"], proxyCount: 1, ...over });

describe("diagnostics on a service's page", () => {
  const rows = [
    row({ service: "shop/inventory" }),
    row({ code: "not_exported", service: "shop/reviews" }),
    row({ code: "unsupported_field", resource: "TrafficPolicy/shop/inventory", path: "spec.connectionPool" }),
    row({ code: "unknown_target", resource: "TrafficPolicy/shop/ledger", path: "spec.targetRef" }),
  ];

  it("keeps the catalog findings naming the service and those about the resources that apply to it", () => {
    expect(diagnosticsForService(rows, { namespace: "shop", name: "inventory" }, ["TrafficPolicy/shop/inventory", "HTTPRoute/shop/inventory"]).map((d) => d.code)).toEqual(["unreachable_endpoint", "unsupported_field"]);
    expect(diagnosticsForService(rows, { namespace: "shop", name: "reviews" }).map((d) => d.code)).toEqual(["not_exported"]);
    expect(diagnosticsForService(rows, { namespace: "pay", name: "inventory" })).toEqual([]);
  });

  it.each([
    [{ resource: "TrafficPolicy/shop/cart", path: "spec.retries", service: undefined }, "TrafficPolicy/shop/cart spec.retries"],
    [{ resource: "Mesh/default", path: "", service: undefined }, "Mesh/default"],
    [{ resource: undefined, path: "catalog", service: "shop/inventory" }, "shop/inventory"],
    [{ resource: undefined, path: "options.identity", service: undefined }, "options.identity"],
  ])("says what %o is about", (d, text) => {
    expect(aboutOf(d)).toBe(text);
  });

  it("names the reporting proxies, and how many more there are", () => {
    expect(reportedBy({ proxies: ["shop/a", "shop/b"], proxyCount: 2 })).toBe("shop/a, shop/b");
    expect(reportedBy({ proxies: ["shop/a", "shop/b"], proxyCount: 5 })).toBe("shop/a, shop/b and 3 more");
    expect(codeInWords("unreachable_endpoint")).toBe("unreachable endpoint");
  });
});
