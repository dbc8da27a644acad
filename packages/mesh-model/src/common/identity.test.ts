import { describe, expect, it } from "vitest";
import { isIdentityPattern, isSpiffeId, matchesIdentityPattern, namespaceOfSpiffeId } from "./identity.ts";

describe("identity patterns", () => {
  it.each([
    ["spiffe://weft.local/ns/shop/sa/frontend", true],
    ["spiffe://weft.local/ns/shop/*", true],
    ["*/sa/frontend", true],
    ["*", true],
    ["spiffe://weft.local", false],
    ["spiffe://Weft.Local/ns/a/sa/b", false],
    ["spiffe://weft.local/ns//sa/b", false],
    ["spiffe://weft.local/ns/*/sa/b", false],
    ["*spiffe://weft.local/ns/a/sa/b*", false],
    ["spiffe://*", false],
    ["frontend", false],
    ["https://weft.local/ns/a/sa/b", false],
  ])("%s is a valid pattern: %s", (pattern, valid) => {
    expect(isIdentityPattern(pattern)).toBe(valid);
  });

  it.each([
    ["spiffe://weft.local/ns/shop/sa/frontend", "spiffe://weft.local/ns/shop/sa/frontend", true],
    ["spiffe://weft.local/ns/shop/sa/frontend", "spiffe://weft.local/ns/shop/sa/frontend2", false],
    ["spiffe://weft.local/ns/shop/*", "spiffe://weft.local/ns/shop/sa/cart", true],
    ["spiffe://weft.local/ns/shop/*", "spiffe://weft.local/ns/shopping/sa/cart", false],
    ["*/sa/frontend", "spiffe://other.org/ns/web/sa/frontend", true],
    ["*/sa/frontend", "spiffe://other.org/ns/web/sa/backend", false],
    ["*", "spiffe://x/y", true],
  ])("%s matches %s: %s", (pattern, id, matches) => {
    expect(matchesIdentityPattern(pattern, id)).toBe(matches);
  });

  it("reads the namespace of a workload identity", () => {
    expect(namespaceOfSpiffeId("spiffe://weft.local/ns/shop/sa/cart")).toBe("shop");
    expect(namespaceOfSpiffeId("spiffe://weft.local/custom/path")).toBeUndefined();
    expect(isSpiffeId("spiffe://weft.local/custom/path")).toBe(true);
  });
});
