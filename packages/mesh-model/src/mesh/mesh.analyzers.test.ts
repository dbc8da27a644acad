import { describe, expect, it } from "vitest";
import { analyze } from "../analysis/analyze.ts";
import { baseSnapshot, findingLines, make } from "../testing/fixtures.ts";

const mesh = (services: { namespace: string; name?: string }[]) => make("Mesh", "default", { trustDomain: "weft.local", multicluster: { export: { mode: "Selected", services } } });

describe("Mesh analyzers", () => {
  it.each<[string, { namespace: string; name?: string }[], string[]]>([
    ["a known service and a known namespace", [{ namespace: "shop", name: "checkout" }, { namespace: "shop" }], []],
    ["a service no cluster has discovered (WEFT7001)", [{ namespace: "shop", name: "checkout" }, { namespace: "shop", name: "payments" }], ["WEFT7001 Mesh/default spec.multicluster.export.services[1].name"]],
    ["a namespace without services (WEFT7001)", [{ namespace: "billing" }], ["WEFT7001 Mesh/default spec.multicluster.export.services[0].namespace"]],
  ])("%s", (_name, services, expected) => {
    expect(findingLines(analyze(baseSnapshot({ resources: [mesh(services)] })))).toEqual(expected);
  });
});
