import { describe, expect, it } from "vitest";
import { analyze } from "../analysis/analyze.ts";
import { baseSnapshot, findingLines, make } from "../testing/fixtures.ts";

const pa = (name: string, target: string | undefined, namespace = "shop") =>
  make("PeerAuthentication", name, { ...(target ? { targetRef: { name: target } } : {}), mtls: { mode: "PERMISSIVE" } }, namespace);
const run = (...resources: ReturnType<typeof pa>[]) => findingLines(analyze(baseSnapshot({ resources })));

describe("PeerAuthentication targets and conflicts (WEFT1005, WEFT3101)", () => {
  it.each<[string, ReturnType<typeof pa>[], string[]]>([
    ["a namespace and a service override layer", [pa("ns", undefined), pa("cart", "cart")], []],
    ["overrides of two services", [pa("cart", "cart"), pa("checkout", "checkout")], []],
    ["the same namespace in two resources", [pa("a", undefined), pa("b", undefined)], ["WEFT3101 PeerAuthentication/shop/a spec.targetRef", "WEFT3101 PeerAuthentication/shop/b spec.targetRef"]],
    ["the same service in two resources", [pa("a", "cart"), pa("b", "cart")], ["WEFT3101 PeerAuthentication/shop/a spec.targetRef", "WEFT3101 PeerAuthentication/shop/b spec.targetRef"]],
    ["namespace-wide overrides of two namespaces", [pa("a", undefined), pa("a", undefined, "jobs")], []],
    ["a service no cluster has discovered", [pa("ghost", "ghost")], ["WEFT1005 PeerAuthentication/shop/ghost spec.targetRef.name"]],
    ["a service of another namespace (targets are in the resource's own)", [pa("cart", "cart", "jobs")], ["WEFT1005 PeerAuthentication/jobs/cart spec.targetRef.name"]],
  ])("%s", (_name, resources, expected) => {
    expect(run(...resources)).toEqual(expected);
  });

  it("blocks a conflicting change and names the other resource", () => {
    const [first] = analyze(baseSnapshot({ resources: [pa("a", "cart"), pa("b", "cart")] }));
    expect(first).toMatchObject({ code: "WEFT3101", severity: "error", related: [{ kind: "PeerAuthentication", name: "b", namespace: "shop" }] });
    expect(first?.message).toContain("service shop/cart");
  });
});
