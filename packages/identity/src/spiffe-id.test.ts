import { describe, expect, it } from "vitest";
import { IdentityError } from "./errors.ts";
import { isSpiffeId, parseSpiffeId, spiffeIdFor, workloadOf } from "./spiffe-id.ts";

describe("SPIFFE ID grammar", () => {
  it.each([
    ["spiffe://mesh.test", "mesh.test", ""],
    ["spiffe://mesh.test/ns/default/sa/web", "mesh.test", "/ns/default/sa/web"],
    ["spiffe://a-b_c.9/x/Y.z-_", "a-b_c.9", "/x/Y.z-_"],
  ])("accepts %s", (id, trustDomain, path) => {
    expect(parseSpiffeId(id)).toEqual({ id, trustDomain, path });
  });

  it.each([
    ["http://mesh.test/ns/a/sa/b", "scheme"],
    ["SPIFFE://mesh.test/ns/a", "scheme"],
    ["spiffe://", "trust domain is missing"],
    ["spiffe:///ns/a", "trust domain is missing"],
    ["spiffe://Mesh.test/ns/a", "lowercase"],
    ["spiffe://mesh.test:8443/ns/a", "port"],
    ["spiffe://user@mesh.test/ns/a", "user info"],
    ["spiffe://mesh.test/ns/a/", "trailing slash"],
    ["spiffe://mesh.test/ns//a", "empty path segments"],
    ["spiffe://mesh.test/ns/../a", '".."'],
    ["spiffe://mesh.test/ns/./a", '"."'],
    ["spiffe://mesh.test/ns/a?x=1", "query"],
    ["spiffe://mesh.test/ns/a#frag", "query and fragment"],
    ["spiffe://mesh.test/ns/a%20b", "path segment"],
    [`spiffe://mesh.test/${"a".repeat(2040)}`, "longer than 2048"],
  ])("refuses %s (%s)", (id, why) => {
    expect(isSpiffeId(id)).toBe(false);
    expect(() => parseSpiffeId(id)).toThrow(why);
  });

  it("builds workload IDs and reads them back", () => {
    const id = spiffeIdFor({ trustDomain: "mesh.test", namespace: "shop", serviceAccount: "checkout" });
    expect(id).toBe("spiffe://mesh.test/ns/shop/sa/checkout");
    expect(workloadOf(id)).toEqual({ trustDomain: "mesh.test", namespace: "shop", serviceAccount: "checkout" });
    expect(workloadOf("spiffe://mesh.test/other")).toBeUndefined();
  });

  it.each([
    [{ trustDomain: "Mesh", namespace: "a", serviceAccount: "b" }, "invalid-trust-domain", "trustDomain"],
    [{ trustDomain: "mesh.test", namespace: "a/b", serviceAccount: "c" }, "invalid-spiffe-id", "namespace"],
    [{ trustDomain: "mesh.test", namespace: "a", serviceAccount: ".." }, "invalid-spiffe-id", "serviceAccount"],
    [{ trustDomain: "mesh.test", namespace: "", serviceAccount: "b" }, "invalid-spiffe-id", "namespace"],
  ])("spiffeIdFor refuses %o", (input, code, path) => {
    const error = (() => {
      try {
        spiffeIdFor(input);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(IdentityError);
    expect(error).toMatchObject({ code, path });
  });
});
