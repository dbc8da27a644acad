import { TRPCClientError } from "@trpc/client";
import { describe, expect, it } from "vitest";
import { ApiUnreachableError } from "../../trpc/api-fetch.ts";
import {
  describeDatabaseKind,
  describeDatabaseStatus,
  describeHealthFailure,
  describeOverall,
  formatLatency,
  formatUptime,
  toHealthFailure,
  type HealthFailure,
} from "./health-view.ts";

describe("formatUptime", () => {
  it.each([
    [0, "0s"],
    [59, "59s"],
    [59.9, "59s"],
    [60, "1m 0s"],
    [185, "3m 5s"],
    [3_600, "1h 0m"],
    [7_830, "2h 10m"],
    [86_400, "1d 0h 0m"],
    [365_400, "4d 5h 30m"],
    [-1, "unknown"],
    [Number.NaN, "unknown"],
  ])("%s seconds → %s", (seconds, expected) => {
    expect(formatUptime(seconds)).toBe(expected);
  });
});

describe("formatLatency", () => {
  it.each([
    [undefined, "n/a"],
    [-3, "n/a"],
    [0, "<1 ms"],
    [0.4, "<1 ms"],
    [1, "1.0 ms"],
    [2.46, "2.5 ms"],
    [12.4, "12 ms"],
    [999.4, "999 ms"],
    [1_234, "1.23 s"],
  ])("%s ms → %s", (ms, expected) => {
    expect(formatLatency(ms)).toBe(expected);
  });
});

describe("status labels", () => {
  it.each([
    ["ok", { tone: "ok", label: "Healthy" }],
    ["degraded", { tone: "warning", label: "Degraded" }],
  ] as const)("overall %s", (status, expected) => {
    expect(describeOverall(status)).toEqual(expected);
  });

  it.each([
    ["up", { tone: "ok", label: "Up" }],
    ["down", { tone: "critical", label: "Down" }],
  ] as const)("database %s", (status, expected) => {
    expect(describeDatabaseStatus(status)).toEqual(expected);
  });

  it.each([
    ["embedded", "Embedded"],
    ["external", "External"],
  ] as const)("database kind %s", (kind, expected) => {
    expect(describeDatabaseKind(kind)).toBe(expected);
  });
});

describe("describeHealthFailure", () => {
  it.each<[string, HealthFailure, { title: string; detail: string; hasHint: boolean }]>([
    [
      "browser could not connect",
      { kind: "unreachable", message: "Failed to fetch" },
      { title: "Cannot reach the Weft manager API", detail: "Failed to fetch", hasHint: true },
    ],
    [
      "proxy answered for a stopped manager",
      { kind: "unreachable", message: "No answer from the manager API: the dashboard's proxy returned HTTP 500." },
      { title: "Cannot reach the Weft manager API", detail: "No answer from the manager API: the dashboard's proxy returned HTTP 500.", hasHint: true },
    ],
    [
      "manager answered with an error",
      { kind: "manager-error", code: "INTERNAL_SERVER_ERROR", message: "boom" },
      { title: "The manager could not report its health", detail: "INTERNAL_SERVER_ERROR: boom", hasHint: false },
    ],
  ])("%s", (_name, failure, expected) => {
    const view = describeHealthFailure(failure);
    expect({ title: view.title, detail: view.detail, hasHint: view.hint !== undefined }).toEqual(expected);
  });
});

describe("toHealthFailure", () => {
  const managerError = new TRPCClientError("database timed out", {
    result: { error: { code: -32603, message: "database timed out", data: { code: "INTERNAL_SERVER_ERROR", httpStatus: 500 } } },
  });
  it.each<[string, unknown, HealthFailure]>([
    ["a tRPC error from the manager", managerError, { kind: "manager-error", code: "INTERNAL_SERVER_ERROR", message: "database timed out" }],
    [
      "the proxy answering for a stopped manager",
      TRPCClientError.from(new ApiUnreachableError(500)),
      { kind: "unreachable", message: "No answer from the manager API: the dashboard's proxy returned HTTP 500." },
    ],
    ["a network failure", TRPCClientError.from(new TypeError("Failed to fetch")), { kind: "unreachable", message: "Failed to fetch" }],
    ["something thrown that is not an Error", "offline", { kind: "unreachable", message: "offline" }],
  ])("%s", (_name, error, expected) => {
    expect(toHealthFailure(error)).toEqual(expected);
  });
});
