import { describe, expect, it } from "vitest";
import { DomainError } from "../../errors.ts";
import { diffHosts, suggestEgress, type ObservedCall, type SuggestionInput } from "./egress-suggestion.ts";

const at = new Date("2026-01-08T00:00:00Z");
const week = { from: new Date("2026-01-01T00:00:00Z"), to: at, coveredFrom: new Date("2026-01-01T00:00:00Z"), coveredTo: at };
const call = (destNamespace: string, destService: string, requests = 1, destCluster = "east", sourceNamespace = "shop"): ObservedCall => ({ sourceNamespace, destCluster, destNamespace, destService, requests, lastSeen: at });
const input = (calls: ObservedCall[], more: Partial<SuggestionInput> = {}): SuggestionInput => ({
  namespace: "shop",
  service: "frontend",
  calls,
  services: [
    { namespace: "shop", name: "reviews" },
    { namespace: "billing", name: "ledger" },
    { namespace: "a", name: "twin" },
    { namespace: "b", name: "twin" },
  ],
  externalServices: [{ namespace: "shop", name: "stripe" }],
  existing: [],
  window: week,
  ...more,
});

describe("suggestEgress", () => {
  it.each([
    ["a service in the caller's cluster", [call("shop", "reviews")], ["shop/reviews"]],
    ["one service in two clusters, once", [call("shop", "reviews", 1, "east"), call("shop", "reviews", 1, "west")], ["shop/reviews"]],
    ["another namespace", [call("billing", "ledger")], ["billing/ledger"]],
    ["an ExternalService the agent left without namespace", [call("", "stripe", 1, "")], ["shop/stripe"]],
    ["a name only one namespace has", [call("", "ledger")], ["billing/ledger"]],
    ["no route, and a name in two namespaces, beside a real call", [call("", "unknown"), call("", "twin"), call("shop", "reviews")], ["shop/reviews"]],
  ])("hosts for %s", (_, calls, hosts) => {
    expect(suggestEgress(input(calls)).document.spec.egress.hosts).toEqual(hosts);
  });

  it("marks ExternalServices and sums counts over clusters", () => {
    const s = suggestEgress(input([call("shop", "reviews", 2, "west"), call("shop", "reviews", 3, "east"), call("", "stripe", 4, "")]));
    expect(s.callees).toEqual([
      { host: "shop/reviews", kind: "Service", requests: 5, lastSeen: at, clusters: ["east", "west"] },
      { host: "shop/stripe", kind: "ExternalService", requests: 4, lastSeen: at, clusters: [] },
    ]);
  });

  it.each([
    ["no calls at all", [], /no outbound calls of shop\/frontend's workloads.*cut all/],
    ["only calls it cannot name", [call("", "unknown", 2), call("", "twin", 3)], /2 matched no route; no namespace for "twin" \(3 requests\).*cut all/],
  ])("refuses an empty scope: %s", (_, calls, message) => {
    const refuse = () => suggestEgress(input(calls));
    expect(refuse).toThrow(DomainError);
    expect(refuse).toThrow(message);
  });

  it("warns when telemetry covers less than a week, and not when it covers one", () => {
    const short = suggestEgress(input([call("shop", "reviews")], { window: { ...week, coveredFrom: new Date(at.getTime() - 3 * 3_600_000) } }));
    expect(short.notes.join("\n")).toContain("covers only 3 hour(s)");
    expect(suggestEgress(input([call("shop", "reviews")])).notes.join("\n")).not.toContain("covers only");
  });

  it("keeps the name of the Sidecar in force and diffs against it", () => {
    const s = suggestEgress(input([call("shop", "reviews")], { existing: [{ namespace: "shop", name: "mine", hosts: ["./reviews", "shop/ratings"] }] }));
    expect(s.document.metadata.name).toBe("mine");
    expect(s.diff).toEqual({ against: "shop/mine", added: [], removed: ["shop/ratings"], unchanged: ["shop/reviews"] });
  });

  it("scopes a namespace without a targetRef", () => {
    const s = suggestEgress(input([call("shop", "reviews")], { service: undefined }));
    expect(s.document.metadata.name).toBe("shop-egress");
    expect(s.document.spec.targetRef).toBeUndefined();
  });
});

describe("diffHosts", () => {
  it("reads ./ as the Sidecar's namespace", () => {
    expect(diffHosts({ namespace: "shop", name: "s", hosts: ["./a", "*/*"] }, ["shop/a", "shop/b"])).toEqual({ against: "shop/s", added: ["shop/b"], removed: ["*/*"], unchanged: ["shop/a"] });
  });
});
