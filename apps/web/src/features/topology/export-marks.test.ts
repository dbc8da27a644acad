import { describe, expect, it } from "vitest";
import { exportStateOf, exportText, type ExportMark } from "./export-marks.ts";

const mark = (m: Partial<ExportMark>): ExportMark => ({ cluster: "west", namespace: "shop", service: "reviews", exported: true, mode: "All", to: ["east"], calledFrom: [], ...m });

describe("export marks", () => {
  it.each<[string, ExportMark | undefined, string, string | null]>([
    ["mode All", mark({}), "exported", "exported to: all clusters"],
    ["Selected, listed", mark({ mode: "Selected", to: ["central", "east"] }), "exported", "exported to: central, east"],
    ["exported, no other cluster", mark({ to: [] }), "none", "exported (no other cluster yet)"],
    ["not exported, nobody calls it from elsewhere", mark({ exported: false, mode: "Selected", to: [] }), "none", "not exported"],
    ["not exported, called from east", mark({ exported: false, mode: "Selected", to: [], calledFrom: ["east"] }), "not-exported", "not exported — called from east; those calls fail (503 UH)"],
    ["no mark", undefined, "none", null],
  ])("%s", (_name, m, state, text) => {
    expect(exportStateOf(m)).toBe(state);
    expect(m ? exportText(m) : null).toBe(text);
  });
});
