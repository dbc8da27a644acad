import { describe, expect, it } from "vitest";
import { roleChangeWarnings, roleSummary } from "./role-summary.ts";

const shop = { role: "OPERATOR" as const, namespace: "shop", cluster: null };

describe("role summaries", () => {
  it.each([
    ["VIEWER" as const, [], "viewer"],
    ["VIEWER" as const, [shop, { role: "ADMIN" as const, namespace: null, cluster: "east" }], "viewer · operator in shop, admin in cluster east"],
  ])("%s with %j reads %j", (role, bindings, text) => {
    expect(roleSummary(role, bindings)).toBe(text);
  });

  it("warns when a mesh-wide role makes a namespace binding pointless", () => {
    expect(roleChangeWarnings("sam", "OPERATOR", [shop])).toEqual(["sam also holds operator in shop: as a mesh-wide operator they get that role in every namespace, so the binding adds nothing."]);
    expect(roleChangeWarnings("sam", "VIEWER", [shop])).toEqual([]);
    expect(roleChangeWarnings("sam", "ADMIN", [])).toHaveLength(1);
  });
});
