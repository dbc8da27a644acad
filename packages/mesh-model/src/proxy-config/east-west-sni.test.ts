import { describe, expect, it } from "vitest";
import { formatEastWestSni, parseEastWestSni, type EastWestTarget } from "./east-west-sni.ts";

describe("east-west server names", () => {
  it.each<[EastWestTarget, string]>([
    [{ service: "reviews", namespace: "shop", port: 9080 }, "9080.any.reviews.shop.weft.internal"],
    [{ service: "reviews", namespace: "shop", port: 9080, version: "v2" }, "9080.v2.reviews.shop.weft.internal"],
    // "any" as a real version must not mean "every version".
    [{ service: "reviews", namespace: "shop", port: 80, version: "any" }, "80.x--mfxhs.reviews.shop.weft.internal"],
    // Not DNS labels: dots, upper case, underscores.
    [{ service: "reviews", namespace: "shop", port: 80, version: "v1.2" }, "80.x--oyys4mq.reviews.shop.weft.internal"],
    [{ service: "reviews", namespace: "shop", port: 80, version: "V2" }, "80.x--kyza.reviews.shop.weft.internal"],
    [{ service: "api.v1", namespace: "shop", port: 1, version: "canary_1" }, "1.x--mnqw4ylspfptc.x--mfygsltwge.shop.weft.internal"],
    // A value that looks encoded is encoded again, so it cannot collide with one that is.
    [{ service: "x--abc", namespace: "shop", port: 80 }, "80.any.x--paws2ylcmm.shop.weft.internal"],
  ])("%j ⇄ %s", (target, name) => {
    expect(formatEastWestSni(target)).toBe(name);
    expect(parseEastWestSni(name)).toEqual(target);
    expect(parseEastWestSni(name.toUpperCase())).toEqual(target);
  });

  it("round-trips unicode and every printable ASCII version", () => {
    const versions = ["ü", "日本", "a b", "-lead", "trail-", ...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i))];
    for (const version of versions) {
      const name = formatEastWestSni({ service: "s", namespace: "n", port: 8080, version });
      expect(name, version).toBeDefined();
      expect(name!.split(".").every((l) => l.length <= 63 && /^[a-z0-9-]+$/.test(l))).toBe(true);
      expect(parseEastWestSni(name!)).toEqual({ service: "s", namespace: "n", port: 8080, version });
    }
  });

  it.each([
    [{ service: "s", namespace: "n", port: 0 }],
    [{ service: "s", namespace: "n", port: 65536 }],
    [{ service: "", namespace: "n", port: 80 }],
    [{ service: "s", namespace: "n", port: 80, version: "" }],
    // 38 bytes encode to 61 base32 characters + "x--" = 64: over the label limit.
    [{ service: "s", namespace: "n", port: 80, version: "V".repeat(38) }],
  ])("cannot name %j", (target) => {
    expect(formatEastWestSni(target)).toBeUndefined();
  });

  it.each([
    "",
    "reviews.shop.svc.cluster.local",
    "9080.any.reviews.shop.weft.example",
    "9080.any.reviews.weft.internal",
    "9080.any.reviews.shop.extra.weft.internal",
    "0.any.reviews.shop.weft.internal",
    "080.any.reviews.shop.weft.internal",
    "65536.any.reviews.shop.weft.internal",
    "9080.any.rev_iews.shop.weft.internal",
    "9080.x--.reviews.shop.weft.internal",
    "9080.x--1.reviews.shop.weft.internal",
    // Non-canonical: "v2" needs no encoding.
    "9080.x--oyza.reviews.shop.weft.internal",
    // Invalid UTF-8 (0xff).
    "9080.x--74.reviews.shop.weft.internal",
    "a".repeat(300),
  ])("refuses %s", (name) => {
    expect(parseEastWestSni(name)).toBeUndefined();
  });
});
