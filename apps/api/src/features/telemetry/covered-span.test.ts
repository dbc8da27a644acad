import { describe, expect, it } from "vitest";
import { coveredSpan } from "./telemetry.service.ts";

const at = (minutes: number) => new Date(Date.UTC(2026, 0, 1, 12, 0) + minutes * 60_000);

describe("coveredSpan: the time a window's rates are over", () => {
  it.each([
    ["data from the window's start, window in the past", at(0), at(60), at(0), at(120), at(0), 3600],
    ["data only in the last 3 minutes of an hour", at(0), at(60), at(57), at(120), at(57), 180],
    ["the window reaches past now", at(0), at(61), at(30), at(45), at(30), 900],
    ["no data at all: the whole window", at(0), at(60), null, at(120), at(0), 3600],
    ["data began this instant: at least a minute", at(0), at(60), at(59), at(59), at(59), 60],
  ])("%s", (_name, from, to, first, now, wantFrom, wantSeconds) => {
    expect(coveredSpan(from, to, first, now)).toEqual({ from: wantFrom, seconds: wantSeconds });
  });
});
