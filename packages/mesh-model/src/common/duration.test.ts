import { describe, expect, it } from "vitest";
import { DurationMsSchema, DurationSchema, boundedDuration, formatDuration, parseDuration } from "./duration.ts";

describe("parseDuration", () => {
  it.each([
    ["0", 0],
    ["0s", 0],
    ["250ms", 250],
    ["10s", 10_000],
    ["1m", 60_000],
    ["1h", 3_600_000],
    ["1m30s", 90_000],
    ["1h2m3s4ms", 3_723_004],
    ["1.5s", 1500],
    ["0.25m", 15_000],
    ["1.001s", 1001],
  ])("%s is %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ["", "empty"],
    ["10", "no unit"],
    ["s", "no number"],
    ["-1s", "negative"],
    ["1 s", "space"],
    ["1S", "upper-case unit"],
    ["1d", "days are not a unit"],
    ["1us", "finer than milliseconds"],
    ["0.5ms", "fraction of a millisecond"],
    ["1s1m", "units out of order"],
    ["1s1s", "unit repeated"],
    ["10000h", "beyond the timer limit"],
    [" 1s", "leading space"],
    ["1s ", "trailing space"],
  ])("rejects %j (%s)", (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0s"],
    [250, "250ms"],
    [90_000, "1m30s"],
    [3_723_004, "1h2m3s4ms"],
  ])("%d ms is %s and parses back", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});

describe("duration schemas", () => {
  it("keeps the text, and DurationMsSchema yields milliseconds", () => {
    expect(DurationSchema.parse("1m30s")).toBe("1m30s");
    expect(DurationMsSchema.parse("1m30s")).toBe(90_000);
  });

  it("reports an invalid duration with a code the dashboard can show", () => {
    const result = DurationSchema.safeParse("10 seconds");
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({ code: "custom", params: { code: "invalid_duration" } });
  });

  it.each([
    ["49ms", false],
    ["50ms", true],
    ["2s", false],
  ])("boundedDuration({ minMs: 50, maxMs: 1000 }) accepts %s: %s", (text, ok) => {
    expect(boundedDuration({ minMs: 50, maxMs: 1000 }).safeParse(text).success).toBe(ok);
  });
});
