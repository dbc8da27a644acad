import { describe, expect, it } from "vitest";
import { causeSentence, thresholdReasons, type FailureCauseLike } from "./failure-reasons.ts";
import { describeFlags } from "./response-flags.ts";

const cause = (over: Partial<FailureCauseLike>): FailureCauseLike => ({
  statusCode: 503,
  responseFlags: "UF",
  recordedBy: { cluster: "east", namespace: "weft-system", service: "east-west-gateway", kind: "CLIENT" },
  count: 10,
  percent: 100,
  traceIds: [],
  ...over,
});
const edge = { source: { namespace: "shop", service: "frontend" }, destination: { namespace: "shop", service: "checkout" } };

describe("why a node or edge is unhealthy, in words", () => {
  it.each([
    ["a gateway between caller and callee gave up", cause({}), "100 % 503 UF: upstream connection failed via east's gateway"],
    ["the caller's own proxy found no healthy endpoint", cause({ responseFlags: "UH", percent: 25, recordedBy: { cluster: "east", namespace: "shop", service: "frontend", kind: "CLIENT" } }), "25 % 503 UH: no healthy endpoint of the backend"],
    ["the callee answered 500 itself", cause({ statusCode: 500, responseFlags: "", percent: 2.5, recordedBy: { cluster: "west", namespace: "shop", service: "checkout", kind: "SERVER" } }), "2.5 % 500: internal server error at west's checkout"],
    ["no response at all, via another service", cause({ statusCode: 0, responseFlags: "UT", percent: 50, recordedBy: { cluster: "east", namespace: "shop", service: "cart", kind: "CLIENT" } }), "50 % no response UT: upstream timed out before answering via east's shop/cart"],
  ])("%s", (_name, c, sentence) => {
    expect(causeSentence(c, edge)).toBe(sentence);
  });

  it("says every flag of a combination, and names unknown ones", () => {
    expect(describeFlags("UF,URX")).toBe("upstream connection failed; retries ran out (attempt limit or retry budget)");
    expect(describeFlags("ZZ")).toBe("proxy flag ZZ");
    expect(describeFlags("-")).toBe("");
  });

  it.each([
    [{ errorPercent: 12, p99: 100 }, ["errors 12% ≥ 5 % (failing)"]],
    [{ errorPercent: 1.3, p99: 900 }, ["errors 1.3% ≥ 1 % (degraded)", "p99 900 ms ≥ 500 ms (degraded)"]],
    [{ errorPercent: 0, p99: 2500 }, ["p99 2500 ms ≥ 2000 ms (failing)"]],
    [{ errorPercent: 0, p99: null }, []],
  ])("names the thresholds %j crossed", (stats, reasons) => {
    expect(thresholdReasons(stats, { errorDegraded: 1, errorFailing: 5, p99Degraded: 500, p99Failing: 2000 })).toEqual(reasons);
  });
});
