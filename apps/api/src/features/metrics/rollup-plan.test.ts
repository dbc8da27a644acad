import { describe, expect, it } from "vitest";
import { HOUR_MS, MINUTE_MS, hoursToDownsample, planRollupReads } from "./rollup-plan.ts";

const H = HOUR_MS;
const M = MINUTE_MS;
const T0 = 1_000 * H; // an hour boundary

describe("which rollups answer a range", () => {
  it.each<[string, number, number, number | null, [string, number, number][]]>([
    ["nothing downsampled", T0, T0 + 5 * H, null, [["minute", 0, 5 * H]]],
    ["a 5-minute window after the watermark", T0 + 10 * H, T0 + 10 * H + 5 * M, T0 + 9 * H, [["minute", 10 * H, 10 * H + 5 * M]]],
    ["whole hours before the watermark", T0, T0 + 24 * H, T0 + 20 * H, [["hour", 0, 20 * H], ["minute", 20 * H, 24 * H]]],
    ["an unaligned start: minutes to the first hour", T0 + 30 * M, T0 + 24 * H, T0 + 20 * H, [["minute", 30 * M, H], ["hour", H, 20 * H], ["minute", 20 * H, 24 * H]]],
    ["an unaligned end before the watermark", T0, T0 + 5 * H + 30 * M, T0 + 20 * H, [["hour", 0, 5 * H], ["minute", 5 * H, 5 * H + 30 * M]]],
    ["a range inside one hour", T0 + 10 * M, T0 + 50 * M, T0 + 20 * H, [["minute", 10 * M, 50 * M]]],
    ["an empty range", T0, T0, T0, []],
  ])("%s", (_name, from, to, watermark, expected) => {
    expect(planRollupReads(from, to, watermark).map((s) => [s.table, s.from - T0, s.to - T0])).toEqual(expected);
  });

  it("covers every millisecond once", () => {
    for (const [from, to] of [
      [T0 + 7 * M, T0 + 30 * 24 * H + 13 * M],
      [T0 + H, T0 + 2 * H],
    ] as const) {
      const segments = planRollupReads(from, to, T0 + 29 * 24 * H);
      expect(segments[0]?.from).toBe(from);
      expect(segments.at(-1)?.to).toBe(to);
      for (let i = 1; i < segments.length; i++) expect(segments[i]?.from).toBe(segments[i - 1]?.to);
    }
  });
});

describe("which hours the downsampler completes", () => {
  it.each<[string, number | null, number | null, number, { from: number; to: number } | null]>([
    ["nothing stored yet: starts at the last complete hour", null, null, T0 + H + 20 * M, { from: H, to: H }],
    ["from the first stored minute", null, T0 - 3 * H + 10 * M, T0 + 20 * M, { from: -3 * H, to: 0 }],
    ["waits for the grace after the hour ends", T0, null, T0 + H + 10 * M, { from: 0, to: 0 }],
    ["one hour once the grace passed", T0, null, T0 + H + 15 * M, { from: 0, to: H }],
    ["at most maxHours at a time", T0 - 100 * H, null, T0 + 20 * M, { from: -100 * H, to: -76 * H }],
  ])("%s", (_name, watermark, first, now, expected) => {
    const r = hoursToDownsample(watermark, first, now, 15 * M, 24);
    expect(r === null ? null : { from: r.from - T0, to: r.to - T0 }).toEqual(expected);
  });
});
