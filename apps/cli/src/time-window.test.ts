import { describe, expect, it } from "vitest";
import { resolveWindow } from "./time-window.ts";

const NOW = new Date("2026-06-01T12:00:00Z");

describe("resolveWindow", () => {
  it.each([
    [{}, "2026-06-01T11:55:00.000Z", "2026-06-01T12:00:00.000Z"],
    [{ window: "1h" }, "2026-06-01T11:00:00.000Z", "2026-06-01T12:00:00.000Z"],
    [{ from: "2026-06-01T10:00:00Z", to: "2026-06-01T10:30:00Z" }, "2026-06-01T10:00:00.000Z", "2026-06-01T10:30:00.000Z"],
    [{ from: "2026-06-01T10:00:00Z" }, "2026-06-01T10:00:00.000Z", "2026-06-01T12:00:00.000Z"],
  ])("%o", (options, from, to) => {
    const w = resolveWindow(options, NOW);
    expect([w.from.toISOString(), w.to.toISOString()]).toEqual([from, to]);
  });

  it.each([
    [{ window: "30s" }, "--window must be a duration of at least 1m"],
    [{ window: "soon" }, "--window must be a duration"],
    [{ to: "2026-06-01T10:00:00Z" }, "--to needs --from"],
    [{ from: "yesterday" }, "--from must be a time"],
    [{ from: "2026-06-01T10:00:00Z", to: "2026-06-01T09:00:00Z" }, "--to must be after --from"],
    [{ window: "5m", from: "2026-06-01T10:00:00Z" }, "not both"],
  ])("refuses %o", (options, message) => {
    expect(() => resolveWindow(options, NOW)).toThrow(message);
  });
});
