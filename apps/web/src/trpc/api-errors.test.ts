import { TRPCClientError } from "@trpc/client";
import { describe, expect, it } from "vitest";
import { ApiRefusedError, ApiUnreachableError } from "./api-fetch.ts";
import { isSessionExpired, loginHref, safeNext, toApiFailure, type ApiFailure } from "./api-errors.ts";

function managerError(code: string, message: string, extra: Record<string, unknown> = {}) {
  return new TRPCClientError(message, { result: { error: { code: -32600, message, data: { code, httpStatus: 400, ...extra } } } });
}

describe("toApiFailure", () => {
  it.each<[string, unknown, Partial<ApiFailure>]>([
    ["unauthenticated", managerError("UNAUTHORIZED", "sign in"), { kind: "unauthenticated", code: "UNAUTHORIZED" }],
    ["forbidden", managerError("FORBIDDEN", "no"), { kind: "forbidden" }],
    [
      "validation with field errors",
      managerError("BAD_REQUEST", "invalid", { fieldErrors: [{ path: "spec.rules[0].backendRefs[1].weight", message: "too big", code: "too_big" }, { bogus: 1 }], domainCode: "INVALID_RESOURCE" }),
      { kind: "invalid", fieldErrors: [{ path: "spec.rules[0].backendRefs[1].weight", message: "too big", code: "too_big" }], domainCode: "INVALID_RESOURCE" },
    ],
    ["conflict", managerError("CONFLICT", "exists"), { kind: "conflict" }],
    ["unknown server code", managerError("INTERNAL_SERVER_ERROR", "boom"), { kind: "server" }],
    ["proxy answered", TRPCClientError.from(new ApiUnreachableError(502)), { kind: "unreachable", message: "No answer from the manager API: the dashboard's proxy returned HTTP 502." }],
    ["a proxy in front refused (403): a permission problem, not an unreachable manager", TRPCClientError.from(new ApiRefusedError(403)), { kind: "forbidden", message: "Refused: you do not have permission for this (HTTP 403)." }],
    ["network", new TypeError("Failed to fetch"), { kind: "unreachable", message: "Failed to fetch" }],
  ])("%s", (_name, error, expected) => {
    expect(toApiFailure(error)).toMatchObject(expected);
  });
});

describe("isSessionExpired", () => {
  it.each([
    [managerError("UNAUTHORIZED", "x"), true],
    [managerError("FORBIDDEN", "x"), false],
    [new Error("x"), false],
  ])("%#", (error, expected) => expect(isSessionExpired(error)).toBe(expected));
});

describe("loginHref / safeNext", () => {
  it.each([
    ["/", undefined, "/login"],
    ["/topology?range=1h", undefined, "/login?next=%2Ftopology%3Frange%3D1h"],
    ["/policies", "expired" as const, "/login?next=%2Fpolicies&reason=expired"],
    ["//evil.example", undefined, "/login"],
    ["/login?next=/x", undefined, "/login"],
  ])("loginHref(%s, %s) → %s", (current, reason, expected) => expect(loginHref(current, reason)).toBe(expected));

  it.each([
    [null, "/"],
    ["/services", "/services"],
    ["https://evil.example", "/"],
    ["//evil.example", "/"],
    ["/\\evil", "/"],
    ["/login", "/"],
  ])("safeNext(%s) → %s", (next, expected) => expect(safeNext(next)).toBe(expected));
});
