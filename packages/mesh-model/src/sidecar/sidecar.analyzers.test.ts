import { describe, expect, it } from "vitest";
import { analyze } from "../analysis/analyze.ts";
import { baseSnapshot, findingLines, make } from "../testing/fixtures.ts";

const sc = (name: string, target: string | undefined, hosts: string[], namespace = "shop") => make("Sidecar", name, { ...(target ? { targetRef: { name: target } } : {}), egress: { hosts } }, namespace);
const run = (...resources: ReturnType<typeof sc>[]) => findingLines(analyze(baseSnapshot({ resources })));

describe("Sidecar targets, conflicts and hosts (WEFT1005, WEFT1301, WEFT1302)", () => {
  it.each<[string, ReturnType<typeof sc>[], string[]]>([
    ["a namespace scope and a service scope layer", [sc("ns", undefined, ["./*"]), sc("cart", "cart", ["./checkout"])], []],
    ["the same namespace in two resources", [sc("a", undefined, ["./*"]), sc("b", undefined, ["*/*"])], ["WEFT1301 Sidecar/shop/a spec.targetRef", "WEFT1301 Sidecar/shop/b spec.targetRef"]],
    ["the same service in two resources", [sc("a", "cart", ["./*"]), sc("b", "cart", ["./*"])], ["WEFT1301 Sidecar/shop/a spec.targetRef", "WEFT1301 Sidecar/shop/b spec.targetRef"]],
    ["a service no cluster has discovered", [sc("ghost", "ghost", ["./*"])], ["WEFT1005 Sidecar/shop/ghost spec.targetRef.name"]],
    ["hosts naming nothing", [sc("typo", undefined, ["./checkout", "./chekout", "payments/*", "*/ledger", "*/cart"])], ["WEFT1302 Sidecar/shop/typo spec.egress.hosts[1]", "WEFT1302 Sidecar/shop/typo spec.egress.hosts[2]", "WEFT1302 Sidecar/shop/typo spec.egress.hosts[3]"]],
  ])("%s", (_name, resources, expected) => {
    expect(run(...resources)).toEqual(expected);
  });

  it("blocks two scopes of one service and names the other resource", () => {
    const [first] = analyze(baseSnapshot({ resources: [sc("a", "cart", ["./*"]), sc("b", "cart", ["./*"])] }));
    expect(first).toMatchObject({ code: "WEFT1301", severity: "error", related: [{ kind: "Sidecar", name: "b", namespace: "shop" }] });
    expect(first?.message).toContain("service shop/cart");
  });
});
