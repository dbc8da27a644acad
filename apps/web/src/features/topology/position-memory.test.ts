import { describe, expect, it } from "vitest";
import { loadPositions, MAX_REMEMBERED, POSITIONS_KEY, rememberedLayout, savePositions, type KeyValueStore } from "./position-memory.ts";

class MemoryStore implements KeyValueStore {
  readonly map = new Map<string, string>();
  getItem(key: string) {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.map.set(key, value);
  }
}

describe("topology position memory", () => {
  it("gives back what was saved, rounded, merged over earlier saves", () => {
    const store = new MemoryStore();
    savePositions(store, { "svc:east/shop/a": { x: 10.4, y: 20.6 }, "svc:east/shop/b": { x: 1, y: 2 } });
    savePositions(store, { "svc:east/shop/b": { x: 5, y: 6 } });
    expect(loadPositions(store)).toEqual({ "svc:east/shop/a": { x: 10, y: 21 }, "svc:east/shop/b": { x: 5, y: 6 } });
  });

  it.each([["not json"], ["[1,2]"], ['{"a":{"x":"1","y":2}}'], ["null"]])("reads %j as nothing remembered", (raw) => {
    const store = new MemoryStore();
    store.setItem(POSITIONS_KEY, raw);
    expect(loadPositions(store)).toEqual({});
  });

  it("keeps at most MAX_REMEMBERED positions, the newest", () => {
    const store = new MemoryStore();
    savePositions(store, Object.fromEntries(Array.from({ length: MAX_REMEMBERED + 5 }, (_, i) => [`n${i}`, { x: i, y: i }])));
    const loaded = loadPositions(store);
    expect(Object.keys(loaded)).toHaveLength(MAX_REMEMBERED);
    expect(loaded["n0"]).toBeUndefined();
    expect(loaded[`n${MAX_REMEMBERED + 4}`]).toEqual({ x: MAX_REMEMBERED + 4, y: MAX_REMEMBERED + 4 });
  });

  it("survives a store that refuses writes", () => {
    const store: KeyValueStore = { getItem: () => null, setItem: () => { throw new Error("QuotaExceededError"); } };
    expect(() => savePositions(store, { a: { x: 1, y: 1 } })).not.toThrow();
  });

  it("fixes the remembered nodes and leaves new ones to the layout", () => {
    expect(rememberedLayout(["a", "b"], { a: { x: 1, y: 2 } })).toEqual([{ nodeId: "a", position: { x: 1, y: 2 } }]);
    expect(rememberedLayout(["c"], { a: { x: 1, y: 2 } })).toBeNull();
  });
});
