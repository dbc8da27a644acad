import { describe, expect, it } from "vitest";
import { allowedOperations } from "./rollout-view.ts";

describe("allowedOperations", () => {
  it.each([
    ["Progressing", false, ["pause", "promote", "abort"]],
    ["Progressing", true, ["pause", "approve", "promote", "abort"]],
    ["Paused", false, ["resume", "promote", "abort"]],
    ["RolledBack", false, ["retry"]],
    ["Succeeded", false, []],
  ] as const)("%s (awaiting approval: %s)", (phase, awaiting, ops) => {
    const allowed = allowedOperations(phase, awaiting);
    expect(Object.entries(allowed).filter(([, v]) => v).map(([k]) => k)).toEqual(ops);
  });
});
