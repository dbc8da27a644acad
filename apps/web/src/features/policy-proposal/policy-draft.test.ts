import { describe, expect, it } from "vitest";
import { readDraft, sinceMinutesOf, storeDraft, type DraftStorage } from "./policy-draft.ts";

function memoryStorage(): DraftStorage & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return { items, getItem: (k) => items.get(k) ?? null, setItem: (k, v) => void items.set(k, v) };
}

describe("policy drafts", () => {
  it("round-trips a document through storage", () => {
    const storage = memoryStorage();
    const doc = { kind: "AuthorizationPolicy", metadata: { name: "checkout-allow-observed", namespace: "shop" } };
    const id = storeDraft(storage, doc);
    expect(id).toMatch(/^[a-z0-9]+$/);
    expect(readDraft(storage, id)).toEqual({ kind: "AuthorizationPolicy", document: doc });
  });

  it.each([
    ["a missing draft", "nothere1", null],
    ["an id that is not ours", "../x", "x"],
    ["broken JSON", "broken", "{"],
    ["a value without a kind", "nokind", "[1]"],
  ])("answers null for %s", (_, id, stored) => {
    const storage = memoryStorage();
    if (stored) storage.setItem(`weft.policy-draft.${id}`, stored);
    expect(readDraft(storage, id)).toBeNull();
  });

  it("answers null without storage", () => {
    expect(readDraft(null, "abc")).toBeNull();
  });
});

describe("sinceMinutesOf", () => {
  const now = Date.UTC(2026, 0, 2);
  it.each([
    [15 * 60_000, 15],
    [30_000, 1],
    [30 * 24 * 3_600_000, 7 * 24 * 60],
  ])("a window starting %d ms ago looks back %d minutes", (ago, minutes) => {
    expect(sinceMinutesOf({ from: new Date(now - ago), to: new Date(now) }, now)).toBe(minutes);
  });
});
