import { describe, expect, it } from "vitest";
import { checkManagerUrl } from "./manager-client.ts";

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
