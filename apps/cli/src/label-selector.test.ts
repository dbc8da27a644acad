import { describe, expect, it } from "vitest";
import { parseSelector, pruneOf } from "./label-selector.ts";

describe("parseSelector", () => {
  it.each([
    ["app=shop", { app: "shop" }],
    ["app==shop, tier=back", { app: "shop", tier: "back" }],
    ["weft.io/team=payments", { "weft.io/team": "payments" }],
    ["app=", { app: "" }],
  ])("%s", (text, expected) => {
    expect(parseSelector(text)).toEqual(expected);
  });

  it.each(["app!=shop", "app", "app in (shop)", "=shop", ""])("refuses %j", (text) => {
    expect(() => parseSelector(text)).toThrow("--selector");
  });
});

describe("pruneOf", () => {
  it.each([
    [{}, undefined],
    [{ prune: true, selector: "app=shop" }, { selector: { app: "shop" } }],
  ])("%o", (opts, expected) => {
    expect(pruneOf(opts)).toEqual(expected);
  });

  it("refuses --prune without a selector, and a selector without --prune", () => {
    expect(() => pruneOf({ prune: true })).toThrow("--prune needs --selector");
    expect(() => pruneOf({ selector: "app=shop" })).toThrow("--selector only applies with --prune");
  });
});
