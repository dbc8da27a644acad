import { describe, expect, it } from "vitest";
import { canEditNamespace, canEditSomewhere, editableNamespaces, isAdmin, needsApproval, roleInNamespace, type Grants } from "./permissions.ts";

const viewer: Grants = { role: "VIEWER", bindings: [] };
const operator: Grants = { role: "OPERATOR", bindings: [] };
const admin: Grants = { role: "ADMIN", bindings: [] };
const scoped: Grants = {
  role: "VIEWER",
  bindings: [
    { role: "OPERATOR", namespace: "shop", cluster: null },
    { role: "VIEWER", namespace: "billing", cluster: null },
    { role: "OPERATOR", namespace: null, cluster: "east" },
  ],
};

describe("canEditNamespace", () => {
  it.each<[string, Grants | null, string | null, boolean]>([
    ["nobody", null, "shop", false],
    ["viewer", viewer, "shop", false],
    ["operator anywhere", operator, "shop", true],
    ["operator, mesh-wide kind", operator, null, true],
    ["admin", admin, "x", true],
    ["scoped in its namespace", scoped, "shop", true],
    ["scoped elsewhere", scoped, "billing", false],
    ["scoped, mesh-wide kind", scoped, null, false],
    ["a cluster binding is not a namespace grant", scoped, "east", false],
  ])("%s", (_name, grants, ns, expected) => {
    expect(canEditNamespace(grants, ns)).toBe(expected);
  });
});

describe("other checks", () => {
  it.each<[Grants | null, boolean, boolean, string[]]>([
    [null, false, false, []],
    [viewer, false, false, []],
    [operator, true, false, []],
    [admin, true, true, []],
    [scoped, true, false, ["shop"]],
  ])("%j", (grants, somewhere, adminExpected, namespaces) => {
    expect(canEditSomewhere(grants)).toBe(somewhere);
    expect(isAdmin(grants)).toBe(adminExpected);
    expect(editableNamespaces(grants)).toEqual(namespaces);
  });

  it("takes the higher of role and binding", () => {
    expect(roleInNamespace({ role: "OPERATOR", bindings: [{ role: "VIEWER", namespace: "a", cluster: null }] }, "a")).toBe("OPERATOR");
  });
});

describe("needsApproval", () => {
  const operator = { role: "OPERATOR" as const, bindings: [] };
  const nsAdmin = { role: "VIEWER" as const, bindings: [{ role: "ADMIN" as const, namespace: "pay", cluster: null }] };
  it.each([
    ["an operator in a protected namespace", operator, "pay", true],
    ["an operator elsewhere", operator, "shop", false],
    ["an admin of the protected namespace", nsAdmin, "pay", false],
    ["a mesh-wide kind", operator, null, false],
  ])("%s", (_name, grants, namespace, want) => {
    expect(needsApproval(grants, namespace, ["pay"])).toBe(want);
  });
});
