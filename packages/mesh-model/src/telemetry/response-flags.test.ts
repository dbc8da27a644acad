import { describe, expect, it } from "vitest";
import { isResponseFlagCode, RESPONSE_FLAG_TEXT, ResponseFlag } from "./response-flags.ts";

describe("response flags", () => {
  it("puts every flag the proxy can send into words, and nothing else", () => {
    expect(Object.keys(RESPONSE_FLAG_TEXT).sort()).toEqual(Object.values(ResponseFlag).sort());
    for (const text of Object.values(RESPONSE_FLAG_TEXT)) expect(text.length).toBeGreaterThan(10);
  });

  it("tells codes from other strings", () => {
    expect(isResponseFlagCode("UF")).toBe(true);
    expect(isResponseFlagCode("toString")).toBe(false);
    expect(isResponseFlagCode("-")).toBe(false);
  });
});
