import { describe, expect, it } from "vitest";
import { analyze } from "../analysis/analyze.ts";
import { baseSnapshot, findingLines, make } from "../testing/fixtures.ts";
import type { Resource } from "../resource/resource.schema.ts";
import type { HTTPRouteInput } from "./http-route.schema.ts";

type Spec = HTTPRouteInput["spec"];
type Rule = Spec["rules"][number];

const route = (rules: Rule[], parentRefs: Spec["parentRefs"] = [{ name: "checkout" }]) => make("HTTPRoute", "checkout", { parentRefs, rules });
const run = (...resources: Resource[]) => findingLines(analyze(baseSnapshot({ resources })));
const to = (version?: string, weight?: number) => ({ name: "checkout", ...(version ? { version } : {}), ...(weight !== undefined ? { weight } : {}) });

describe("route references (WEFT1001–WEFT1004)", () => {
  it.each<[string, Rule[], Spec["parentRefs"] | undefined, string[]]>([
    ["a canary across versions seen in two clusters", [{ backendRefs: [to("v1", 90), to("v2", 10)] }], undefined, []],
    ["an unknown backend service", [{ backendRefs: [{ name: "payments" }] }], undefined, ["WEFT1001 HTTPRoute/shop/checkout spec.rules[0].backendRefs[0].name"]],
    ["a service in another namespace", [{ backendRefs: [{ name: "checkout", namespace: "billing" }] }], undefined, ["WEFT1001 HTTPRoute/shop/checkout spec.rules[0].backendRefs[0].name"]],
    ["an unknown parent service", [{ backendRefs: [to()] }], [{ name: "checkoutt" }], ["WEFT1001 HTTPRoute/shop/checkout spec.parentRefs[0].name"]],
    ["an unknown version", [{ backendRefs: [to("v1", 90), to("v3", 10)] }], undefined, ["WEFT1002 HTTPRoute/shop/checkout spec.rules[0].backendRefs[1].version"]],
    ["an unknown mirror version", [{ backendRefs: [to()], filters: [{ type: "RequestMirror", requestMirror: { backendRef: { name: "checkout", version: "v9" } } }] }], undefined, ["WEFT1002 HTTPRoute/shop/checkout spec.rules[0].filters[0].requestMirror.backendRef.version"]],
    ["an unknown port", [{ backendRefs: [{ name: "checkout", port: 9090 }] }], undefined, ["WEFT1003 HTTPRoute/shop/checkout spec.rules[0].backendRefs[0].port"]],
    ["a missing Gateway", [{ backendRefs: [to()] }], [{ kind: "Gateway", name: "edge" }], ["WEFT1004 HTTPRoute/shop/checkout spec.parentRefs[0].name"]],
  ])("%s", (_name, rules, parents, expected) => {
    expect(run(route(rules, parents))).toEqual(expected);
  });

  it("accepts an ExternalService backend and checks its ports", () => {
    const stripe = make("ExternalService", "stripe", { hosts: ["api.stripe.com"], ports: [{ number: 443, protocol: "HTTPS" }] });
    expect(run(stripe, route([{ backendRefs: [{ kind: "ExternalService", name: "stripe", port: 443 }] }]))).toEqual([]);
    expect(run(stripe, route([{ backendRefs: [{ kind: "ExternalService", name: "stripe", port: 80 }] }]))).toEqual(["WEFT1003 HTTPRoute/shop/checkout spec.rules[0].backendRefs[0].port"]);
  });

  it("checks Gateway listeners named by a route", () => {
    const edge = make("Gateway", "edge", { mode: "ingress", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] });
    expect(run(edge, route([{ backendRefs: [to()] }], [{ kind: "Gateway", name: "edge", sectionName: "http" }]))).toEqual([]);
    expect(run(edge, route([{ backendRefs: [to()] }], [{ kind: "Gateway", name: "edge", sectionName: "https" }]))).toEqual(["WEFT1004 HTTPRoute/shop/checkout spec.parentRefs[0].sectionName"]);
  });
});

describe("rules without traffic destinations (WEFT1101, WEFT1102)", () => {
  it.each<[string, Rule[], string[]]>([
    ["weights with one zero", [{ backendRefs: [to("v1", 0), to("v2", 1)] }], []],
    ["all weights zero", [{ backendRefs: [to("v1", 0), to("v2", 0)] }], ["WEFT1102 HTTPRoute/shop/checkout spec.rules[0].backendRefs"]],
    ["no backends", [{ backendRefs: [to()] }, { name: "empty", matches: [{ path: { value: "/x" } }] }], ["WEFT1101 HTTPRoute/shop/checkout spec.rules[1].backendRefs"]],
    ["a redirect needs no backends", [{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https" } }] }], []],
    ["a 100% abort needs no backends", [{ filters: [{ type: "FaultInjection", faultInjection: { abort: { httpStatus: 503 } } }] }], []],
    ["a partial abort still needs backends", [{ filters: [{ type: "FaultInjection", faultInjection: { abort: { httpStatus: 503, percentage: 50 } } }] }], ["WEFT1101 HTTPRoute/shop/checkout spec.rules[0].backendRefs"]],
  ])("%s", (_name, rules, expected) => {
    expect(run(route(rules))).toEqual(expected);
  });
});

describe("shadowed matches (WEFT1201–WEFT1203)", () => {
  const api = { path: { type: "PathPrefix" as const, value: "/api" } };
  it.each<[string, Rule[], string[]]>([
    ["a catch-all first and specific rules after: the specific ones win precedence", [{ backendRefs: [to("v1")] }, { matches: [api], backendRefs: [to("v2")] }], []],
    ["a more specific later rule with a header", [{ matches: [api], backendRefs: [to("v1")] }, { matches: [{ ...api, headers: [{ name: "x-canary", value: "1" }] }], backendRefs: [to("v2")] }], []],
    ["an identical match in a later rule", [{ matches: [api], backendRefs: [to("v1")] }, { matches: [api], backendRefs: [to("v2")] }], ["WEFT1202 HTTPRoute/shop/checkout spec.rules[1]"]],
    ["the same prefix with a trailing slash", [{ matches: [api], backendRefs: [to("v1")] }, { matches: [{ path: { value: "/api/" } }], backendRefs: [to("v2")] }], ["WEFT1202 HTTPRoute/shop/checkout spec.rules[1]"]],
    ["two rules without matches", [{ backendRefs: [to("v1")] }, { name: "fallback", backendRefs: [to("v2")] }], ["WEFT1202 HTTPRoute/shop/checkout spec.rules[1]"]],
    [
      "one dead match of a live rule",
      [{ matches: [api], backendRefs: [to("v1")] }, { matches: [{ path: { value: "/api" } }, { path: { value: "/web" } }], backendRefs: [to("v2")] }],
      ["WEFT1201 HTTPRoute/shop/checkout spec.rules[1].matches[0]"],
    ],
    [
      "a catch-all regex ranks above every prefix, even from a later rule",
      [{ matches: [api], backendRefs: [to("v1")] }, { matches: [{ path: { type: "RegularExpression", value: ".*" } }], backendRefs: [to("v2")] }],
      ["WEFT1202 HTTPRoute/shop/checkout spec.rules[0]"],
    ],
    [
      "a header regex tying with a later exact header",
      [
        { matches: [{ ...api, headers: [{ type: "RegularExpression", name: "x-user", value: "qa-.*" }] }], backendRefs: [to("v1")] },
        { matches: [{ ...api, headers: [{ name: "x-user", value: "qa-1" }] }, { path: { value: "/other" } }], backendRefs: [to("v2")] },
      ],
      ["WEFT1203 HTTPRoute/shop/checkout spec.rules[1].matches[0]"],
    ],
    ["different methods do not shadow", [{ matches: [{ ...api, method: "GET" }], backendRefs: [to("v1")] }, { matches: [{ ...api, method: "POST" }], backendRefs: [to("v2")] }], []],
    ["a duplicate inside one rule", [{ matches: [api, { path: { value: "/api" } }], backendRefs: [to("v1")] }], ["WEFT1201 HTTPRoute/shop/checkout spec.rules[0].matches[1]"]],
  ])("%s", (_name, rules, expected) => {
    expect(run(route(rules))).toEqual(expected);
  });
});
