import { describe, expect, it } from "vitest";
import { renderDocument, renderList, toPlain, type Column } from "./render.ts";

const COLUMNS: Column<{ name: string; rps: number; labels: string }>[] = [
  { header: "NAME", value: (r) => r.name },
  { header: "RPS", value: (r) => r.rps.toFixed(1) },
  { header: "LABELS", value: (r) => r.labels, wide: true },
];
const ITEMS = [
  { name: "frontend", rps: 5, labels: "app=shop" },
  { name: "catalog", rps: 12.5, labels: "app=shop,tier=back" },
];

describe("renderList", () => {
  it.each([
    ["table", "NAME       RPS\nfrontend   5.0\ncatalog    12.5\n"],
    ["wide", "NAME       RPS    LABELS\nfrontend   5.0    app=shop\ncatalog    12.5   app=shop,tier=back\n"],
    ["json", `${JSON.stringify(ITEMS, null, 2)}\n`],
    ["yaml", "- name: frontend\n  rps: 5\n  labels: app=shop\n- name: catalog\n  rps: 12.5\n  labels: app=shop,tier=back\n"],
  ] as const)("-o %s", (format, expected) => {
    expect(renderList(format, ITEMS, COLUMNS)).toBe(expected);
  });

  it("says so when there is nothing, but prints an empty document for json", () => {
    expect(renderList("table", [], COLUMNS, { empty: "no clusters" })).toBe("no clusters\n");
    expect(renderList("json", [], COLUMNS)).toBe("[]\n");
  });
});

describe("toPlain", () => {
  it.each([
    [new Date("2026-01-02T03:04:05.000Z"), "2026-01-02T03:04:05.000Z"],
    [12n, 12],
    [2n ** 60n, "1152921504606846976"],
    [{ a: undefined, b: [1n, null] }, { b: [1, null] }],
  ])("%s", (value, expected) => {
    expect(toPlain(value)).toEqual(expected);
  });

  it("lets a bigint config version through JSON", () => {
    expect(renderDocument("json", { configVersion: 7n })).toBe('{\n  "configVersion": 7\n}\n');
  });
});
