import { describe, expect, it } from "vitest";
import { contentSecurityPolicy, newNonce } from "./security-headers.ts";

describe("contentSecurityPolicy", () => {
  const directives = (csp: string) => Object.fromEntries(csp.split("; ").map((d) => [d.split(" ")[0], d.split(" ").slice(1).join(" ")]));
  it.each<[string, string]>([
    ["frame-ancestors", "'none'"],
    ["default-src", "'self'"],
    ["script-src", "'self' 'nonce-abc' 'strict-dynamic'"],
    ["object-src", "'none'"],
    ["connect-src", "'self'"],
    ["base-uri", "'self'"],
    ["form-action", "'self'"],
  ])("%s is %s in production", (name, value) => {
    expect(directives(contentSecurityPolicy("abc"))[name]).toBe(value);
  });
  it("never allows eval or inline scripts in production; development adds eval only", () => {
    expect(contentSecurityPolicy("abc")).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline/);
    expect(directives(contentSecurityPolicy("abc", true))["script-src"]).toBe("'self' 'nonce-abc' 'strict-dynamic' 'unsafe-eval'");
  });
  it("makes a fresh 128-bit nonce each time", () => {
    const [a, b] = [newNonce(), newNonce()];
    expect(a).not.toBe(b);
    expect(atob(a)).toHaveLength(16);
  });
});
