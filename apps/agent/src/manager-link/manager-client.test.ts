import { describe, expect, it } from "vitest";
import superjson from "superjson";
import { checkManagerUrl, managerTransformer } from "./manager-client.ts";

describe("checkManagerUrl", () => {
  it.each([
    ["https://weft.example.com/", "https://weft.example.com"],
    ["http://127.0.0.1:4000", "http://127.0.0.1:4000"],
    ["http://localhost:4000/", "http://localhost:4000"],
    ["http://[::1]:4000", "http://[::1]:4000"],
  ])("accepts %s", (url, expected) => {
    expect(checkManagerUrl(url)).toBe(expected);
  });
  it.each(["http://weft.example.com", "http://10.0.0.5:4000", "ftp://127.0.0.1"])("refuses %s", (url) => {
    expect(() => checkManagerUrl(url)).toThrow(/http|https/);
  });
});

describe("managerTransformer", () => {
  it("reads an unannotated payload as the value itself, without superjson's copy", () => {
    const config = { cluster: "east", resources: [{ kind: "Sidecar" }], catalog: [] };
    const payload = superjson.serialize(config);
    expect(payload.meta).toBeUndefined();
    expect(managerTransformer.deserialize(payload)).toBe(payload.json);
    expect(managerTransformer.deserialize(payload)).toEqual(config);
  });

  it("revives annotated values as superjson does", () => {
    const value = { at: new Date(0), version: 7n, nested: { set: new Set(["a"]) } };
    expect(managerTransformer.deserialize(superjson.serialize(value))).toEqual(value);
    expect(managerTransformer.deserialize(superjson.serialize(null))).toBeNull();
  });
});
