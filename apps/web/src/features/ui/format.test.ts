import { describe, expect, it } from "vitest";
import { formatMs, formatPercent, formatRate, formatRelative, formatSuccessPercent } from "./format.ts";

describe("formatRate", () => {
  it.each([
    [null, "0/s"],
    [0, "0/s"],
    [0.005, "<0.01/s"],
    [0.4234, "0.42/s"],
    [12.4, "12/s"],
    [1234, "1.2k/s"],
  ])("%s → %s", (v, e) => expect(formatRate(v)).toBe(e));
});

describe("formatPercent", () => {
  it.each([
    [undefined, "n/a"],
    [0, "0%"],
    [0.05, "<0.1%"],
    [2.345, "2.3%"],
    [55.5, "56%"],
  ])("%s → %s", (v, e) => expect(formatPercent(v)).toBe(e));
});

describe("formatSuccessPercent", () => {
  it.each([
    [undefined, "n/a"],
    [100, "100%"],
    [99.999, "99.99%"],
    [99.7, "99.70%"],
    [99.0, "99.00%"],
    [98.96, "98.9%"],
    [55.55, "55.5%"],
    [2.345, "2.3%"],
    [0, "0%"],
  ])("%s → %s", (v, e) => expect(formatSuccessPercent(v)).toBe(e));
});

describe("formatMs", () => {
  it.each([
    [null, "n/a"],
    [0.3, "<1 ms"],
    [4.24, "4.2 ms"],
    [120.4, "120 ms"],
    [1500, "1.50 s"],
  ])("%s → %s", (v, e) => expect(formatMs(v)).toBe(e));
});

describe("formatRelative", () => {
  const now = 10 * 86_400_000;
  it.each([
    [null, "never"],
    [now - 10_000, "just now"],
    [now - 3 * 60_000, "3 min ago"],
    [now - 2 * 3_600_000, "2 h ago"],
    [now - 3 * 86_400_000, "3 d ago"],
    [now + 5 * 60_000, "in 5 min"],
  ])("%s → %s", (v, e) => expect(formatRelative(v, now)).toBe(e));
});
