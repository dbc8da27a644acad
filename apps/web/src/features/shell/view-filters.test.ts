import { describe, expect, it } from "vitest";
import { DEFAULT_RANGE, hrefWithFilters, parseFilters, stepFor, timeWindow, writeFilters, type ViewFilters } from "./view-filters.ts";

const base: ViewFilters = { cluster: null, namespace: null, range: DEFAULT_RANGE, from: null, to: null };
const FROM = Date.parse("2026-01-01T10:00:00Z");
const TO = Date.parse("2026-01-01T12:00:00Z");

describe("parseFilters", () => {
  it.each<[string, string, ViewFilters]>([
    ["empty", "", base],
    ["cluster and namespace", "cluster=east&ns=shop", { ...base, cluster: "east", namespace: "shop" }],
    ["known range", "range=6h", { ...base, range: "6h" }],
    ["unknown range", "range=7d", base],
    ["custom range", `range=custom&from=2026-01-01T10:00:00Z&to=2026-01-01T12:00:00Z`, { ...base, range: "custom", from: FROM, to: TO }],
    ["custom range in epoch ms", `range=custom&from=${FROM}&to=${TO}`, { ...base, range: "custom", from: FROM, to: TO }],
    ["custom without bounds", "range=custom", base],
    ["custom with to before from", `range=custom&from=${TO}&to=${FROM}`, base],
    ["bounds without custom are dropped", `range=6h&from=${FROM}&to=${TO}`, { ...base, range: "6h" }],
    ["a short live window is the default", "", { ...base, range: "15m" }],
    ["blank values", "cluster=%20&ns=", base],
  ])("%s", (_name, query, expected) => {
    expect(parseFilters(new URLSearchParams(query))).toEqual(expected);
  });
});

describe("writeFilters", () => {
  it.each<[string, string, ViewFilters, string]>([
    ["defaults leave the URL clean", "", base, ""],
    ["keeps unrelated params", "kind=HTTPRoute&cluster=old", { ...base, namespace: "shop" }, "kind=HTTPRoute&ns=shop"],
    ["custom writes ISO bounds", "", { ...base, range: "custom", from: FROM, to: TO }, "range=custom&from=2026-01-01T10%3A00%3A00.000Z&to=2026-01-01T12%3A00%3A00.000Z"],
    ["round-trips a range", "", { ...base, range: "24h", cluster: "west" }, "cluster=west&range=24h"],
  ])("%s", (_name, start, filters, expected) => {
    const out = writeFilters(new URLSearchParams(start), filters);
    expect(out.toString()).toBe(expected);
    expect(parseFilters(out)).toEqual(filters);
  });
});

describe("hrefWithFilters", () => {
  it.each([
    ["/topology", "cluster=east&range=6h&q=checkout", {}, "/topology?cluster=east&range=6h"],
    ["/services", "", {}, "/services"],
    ["/policies/edit", "ns=shop", { kind: "HTTPRoute" }, "/policies/edit?ns=shop&kind=HTTPRoute"],
  ])("%s with %s", (path, query, extra, expected) => {
    expect(hrefWithFilters(path, new URLSearchParams(query), extra)).toBe(expected);
  });
});

describe("timeWindow", () => {
  const now = Date.parse("2026-01-01T12:00:30Z");
  it.each<[string, ViewFilters, { from: string; to: string; step: number }]>([
    ["15m ends at the next minute", { ...base, range: "15m" }, { from: "2026-01-01T11:46:00.000Z", to: "2026-01-01T12:01:00.000Z", step: 60 }],
    ["24h", { ...base, range: "24h" }, { from: "2025-12-31T12:01:00.000Z", to: "2026-01-01T12:01:00.000Z", step: 720 }],
    ["custom", { ...base, range: "custom", from: FROM, to: TO }, { from: "2026-01-01T10:00:00.000Z", to: "2026-01-01T12:00:00.000Z", step: 60 }],
  ])("%s", (_name, filters, expected) => {
    const w = timeWindow(filters, now);
    expect({ from: w.from.toISOString(), to: w.to.toISOString(), step: w.stepSeconds }).toEqual(expected);
  });

  it.each([
    [60_000, 60],
    [2 * 3_600_000, 60],
    [6 * 3_600_000, 180],
    [7 * 86_400_000, 5_040],
  ])("stepFor(%s) → %s", (span, step) => {
    expect(stepFor(span)).toBe(step);
    expect(step % 60).toBe(0);
  });
});
