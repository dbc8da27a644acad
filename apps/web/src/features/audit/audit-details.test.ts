import { describe, expect, it } from "vitest";
import { detailLines } from "./audit-details.ts";

describe("audit details as lines", () => {
  it("flattens nested details to paths, keeps scalar arrays on one line", () => {
    expect(detailLines({ status: "applied", changes: [{ ref: { kind: "HTTPRoute", name: "checkout" }, fromRevision: 1 }], namespaces: ["shop", "pay"] })).toEqual([
      { path: "status", value: "applied" },
      { path: "changes[0].ref.kind", value: "HTTPRoute" },
      { path: "changes[0].ref.name", value: "checkout" },
      { path: "changes[0].fromRevision", value: "1" },
      { path: "namespaces", value: "shop, pay" },
    ]);
  });

  it("cuts long values and long lists of lines", () => {
    const lines = detailLines({ text: "x".repeat(500), ...Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, i])) });
    expect(lines).toHaveLength(12);
    expect(lines[0]!.value).toHaveLength(120);
    expect(lines[11]).toEqual({ path: "…", value: "20 more" });
  });
});
