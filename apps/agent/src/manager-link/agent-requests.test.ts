import type { TapEvent, TapFilter } from "@weft/mesh-model";
import { describe, expect, it } from "vitest";
import { tapMatches } from "./agent-requests.ts";

const TAP: TapFilter = { id: "00000000-0000-4000-8000-000000000001", namespace: "shop", service: "catalog", path: null, method: null };
const event = (over: Partial<Omit<TapEvent, "proxy">> = {}): Omit<TapEvent, "proxy"> => ({
  time: "2026-06-01T12:00:00.000Z",
  direction: "outbound",
  method: "GET",
  authority: "catalog",
  path: "/products/42",
  status: 200,
  durationMs: 3,
  flags: "-",
  sourceService: "frontend",
  sourceIdentity: "spiffe://weft.local/ns/shop/sa/frontend",
  destinationService: "catalog",
  destinationVersion: "v1",
  destinationCluster: "east",
  mtls: true,
  traceId: null,
  ...over,
});

describe("tapMatches", () => {
  it.each<[string, Partial<TapFilter>, Partial<Omit<TapEvent, "proxy">>, string, boolean]>([
    ["a caller's request to the service", {}, {}, "shop", true],
    ["a caller in another namespace (outbound names no namespace)", {}, {}, "web", true],
    ["the service's own proxy", {}, { direction: "inbound" }, "shop", true],
    ["a same-named service's own proxy in another namespace", {}, { direction: "inbound" }, "other", false],
    ["another service", {}, { destinationService: "inventory" }, "shop", false],
    ["a path under the prefix", { path: "/products" }, {}, "shop", true],
    ["a path outside the prefix", { path: "/cart" }, {}, "shop", false],
    ["the method, in any case", { method: "get" }, {}, "shop", true],
    ["another method", { method: "POST" }, {}, "shop", false],
  ])("%s", (_name, filter, over, proxyNamespace, expected) => {
    expect(tapMatches({ ...TAP, ...filter }, event(over), proxyNamespace)).toBe(expected);
  });
});
