import { describe, expect, it } from "vitest";
import { grantToken, type TokenCreator, type TokenGrant, type TokenRequest } from "./token-grant.ts";

const now = new Date("2026-12-06T12:00:00Z");
const inDays = (d: number) => new Date(now.getTime() + d * 86_400_000);
const session = (highestRole: TokenCreator["highestRole"] = "ADMIN"): TokenCreator => ({ via: "session", highestRole });
const token = (tokenExpiresAt: Date | null, tokenMaxRole: TokenCreator["tokenMaxRole"] = null, highestRole: TokenCreator["highestRole"] = "ADMIN"): TokenCreator => ({ via: "token", highestRole, tokenExpiresAt, tokenMaxRole });
const brief = (g: TokenGrant) => (g.ok ? `ok ${g.expiresAt?.toISOString() ?? "never"} ${g.maxRole ?? "user's rights"}` : `refused ${g.path}`);

describe("grantToken", () => {
  it.each<[string, TokenCreator, TokenRequest, string]>([
    ["a session mints a token that never expires", session(), {}, "ok never user's rights"],
    ["a session mints a 30-day viewer token", session(), { expiresInDays: 30, role: "VIEWER" }, `ok ${inDays(30).toISOString()} VIEWER`],
    ["a viewer cannot mint an operator token", session("VIEWER"), { role: "OPERATOR" }, "refused role"],
    ["a 1-day token cannot mint a token without expiry: it expires with its parent", token(inDays(1)), {}, `ok ${inDays(1).toISOString()} user's rights`],
    ["a 1-day token cannot mint a 2-day token", token(inDays(1)), { expiresInDays: 2 }, "refused expiresInDays"],
    ["a 10-day token may mint a 1-day token", token(inDays(10)), { expiresInDays: 1 }, `ok ${inDays(1).toISOString()} user's rights`],
    ["a token without expiry may mint any", token(null), { expiresInDays: 3650 }, `ok ${inDays(3650).toISOString()} user's rights`],
    ["a viewer-capped token mints viewer-capped tokens", token(null, "VIEWER"), {}, "ok never VIEWER"],
    ["a viewer-capped token cannot mint an admin token", token(null, "VIEWER"), { role: "ADMIN" }, "refused role"],
    ["an operator-capped token may mint a viewer token", token(inDays(5), "OPERATOR"), { role: "VIEWER" }, `ok ${inDays(5).toISOString()} VIEWER`],
  ])("%s", (_name, creator, request, expected) => {
    expect(brief(grantToken(creator, request, now))).toBe(expected);
  });
});
