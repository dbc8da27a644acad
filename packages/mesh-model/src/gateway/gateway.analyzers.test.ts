import { describe, expect, it } from "vitest";
import { analyze } from "../analysis/analyze.ts";
import { baseSnapshot, findingLines, make } from "../testing/fixtures.ts";
import type { GatewayInput } from "./gateway.schema.ts";

type Spec = GatewayInput["spec"];
type ListenerInput = Spec["listeners"][number];
const gw = (name: string, listeners: ListenerInput[], extra: Partial<Spec> = {}) => make("Gateway", name, { mode: "ingress", listeners, ...extra });
const http = (hosts?: string[], port = 80): ListenerInput => ({ name: "http", port, protocol: "HTTP", ...(hosts ? { hosts } : {}) });
const run = (...gateways: ReturnType<typeof gw>[]) => findingLines(analyze(baseSnapshot({ resources: gateways })));

describe("Gateway hosts claimed twice (WEFT4001)", () => {
  it.each<[string, ReturnType<typeof gw>[], string[]]>([
    ["different hosts", [gw("a", [http(["a.example.com"])]), gw("b", [http(["b.example.com"])])], []],
    ["the same host on different ports", [gw("a", [http(["a.example.com"])]), gw("b", [http(["a.example.com"], 8080)])], []],
    ["a wildcard and a specific host", [gw("a", [http(["*.example.com"])]), gw("b", [http(["api.example.com"])])], []],
    ["the same host on the same port", [gw("a", [http(["a.example.com"])]), gw("b", [http(["x.example.com", "a.example.com"])])], ["WEFT4001 Gateway/shop/b spec.listeners[0].hosts[1]"]],
    ["two catch-all listeners", [gw("a", [http()]), gw("b", [http()])], ["WEFT4001 Gateway/shop/b spec.listeners[0]"]],
    ["different modes", [gw("a", [http()]), gw("b", [http()], { mode: "egress" })], []],
    ["disjoint clusters", [gw("a", [http()], { clusters: ["east"] }), gw("b", [http()], { clusters: ["west"] })], []],
    ["overlapping clusters", [gw("a", [http()], { clusters: ["east", "west"] }), gw("b", [http()], { clusters: ["west"] })], ["WEFT4001 Gateway/shop/b spec.listeners[0]"]],
    ["one gateway everywhere", [gw("a", [http()]), gw("b", [http()], { clusters: ["west"] })], ["WEFT4001 Gateway/shop/b spec.listeners[0]"]],
  ])("%s", (_name, gateways, expected) => {
    expect(run(...gateways)).toEqual(expected);
  });

  it("is an error naming the first claimant", () => {
    const [f] = analyze(baseSnapshot({ resources: [gw("a", [http(["a.example.com"])]), gw("b", [http(["a.example.com"])])] }));
    expect(f).toMatchObject({ severity: "error", related: [{ kind: "Gateway", name: "a", namespace: "shop" }] });
    expect(f?.message).toContain('listener "http" of ingress Gateway/shop/a');
  });
});
