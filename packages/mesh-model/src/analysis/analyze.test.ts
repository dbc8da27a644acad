import { describe, expect, it } from "vitest";
import { ValidationError } from "../common/issues.ts";
import { baseSnapshot, findingLines, make } from "../testing/fixtures.ts";
import { ANALYZERS, analyze, assertNoBlockingFindings, blocksChange, describeAnalyzerCodes } from "./analyze.ts";
import { ANALYZER_CODES } from "./findings.ts";

const goodRoute = make("HTTPRoute", "checkout", { parentRefs: [{ name: "checkout" }], rules: [{ backendRefs: [{ name: "checkout", version: "v1" }] }] });

describe("the analyzer registry", () => {
  it("documents every code an analyzer can report, and every documented code has an analyzer", () => {
    const reported = ANALYZERS.flatMap((a) => a.codes).sort();
    expect(reported).toEqual(Object.keys(ANALYZER_CODES).sort());
    expect(new Set(reported).size).toBe(reported.length);
  });

  it.each(describeAnalyzerCodes())("$code ($title) has a one-line doc", ({ doc, severity }) => {
    expect(doc).toMatch(/^[A-Z].{20,200}\.$/);
    expect(doc).not.toContain("\n");
    expect(["error", "warning", "info"]).toContain(severity);
  });
});

describe("analyze", () => {
  it("finds nothing in a consistent mesh", () => {
    const mesh = make("Mesh", "default", { trustDomain: "weft.local" });
    expect(analyze(baseSnapshot({ resources: [mesh, goodRoute] }))).toEqual([]);
  });

  it.each([
    ["the same resource twice", [goodRoute, goodRoute], ["WEFT0001 HTTPRoute/shop/checkout metadata.name"]],
    ["two meshes", [make("Mesh", "a", { trustDomain: "weft.local" }), make("Mesh", "b", { trustDomain: "weft.local" })], ["WEFT0002 Mesh/b metadata.name"]],
  ])("reports %s", (_name, resources, expected) => {
    expect(findingLines(analyze(baseSnapshot({ resources })))).toEqual(expected);
  });

  it("sorts errors before warnings", () => {
    const policy = make("TrafficPolicy", "ghost", { targetRef: { name: "ghost" } });
    const route = make("HTTPRoute", "a-route", { parentRefs: [{ name: "checkout" }], rules: [{ backendRefs: [{ name: "checkout", version: "v9" }] }] });
    const findings = analyze(baseSnapshot({ resources: [policy, route] }));
    expect(findings.map((f) => `${f.severity} ${f.code}`)).toEqual(["error WEFT1002", "warning WEFT1005"]);
    expect(blocksChange(findings)).toBe(true);
    expect(blocksChange(findings.filter((f) => f.severity !== "error"))).toBe(false);
  });

  it("turns blocking findings into a ValidationError the API can convert", () => {
    const route = make("HTTPRoute", "r", { parentRefs: [{ name: "checkout" }], rules: [{ backendRefs: [{ name: "nowhere" }] }] });
    const findings = analyze(baseSnapshot({ resources: [route] }));
    let caught: unknown;
    try {
      assertNoBlockingFindings(findings);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).code).toBe("ANALYSIS_FAILED");
    expect((caught as ValidationError).issues).toEqual([{ path: "spec.rules[0].backendRefs[0].name", code: "WEFT1001", message: expect.stringContaining("shop/nowhere") }]);
    expect(() => assertNoBlockingFindings([])).not.toThrow();
  });

  it("names the input document each blocking finding's resource came from", () => {
    const route = make("HTTPRoute", "r", { parentRefs: [{ name: "checkout" }], rules: [{ backendRefs: [{ name: "nowhere" }] }] });
    const caught = (() => {
      try {
        assertNoBlockingFindings(analyze(baseSnapshot({ resources: [route] })), (ref) => (ref.name === "r" ? 1 : undefined));
      } catch (error) {
        return error as ValidationError;
      }
    })();
    expect(caught?.issues).toEqual([expect.objectContaining({ code: "WEFT1001", document: 1 })]);
    expect(caught?.message).toMatch(/^document 2 spec\.rules\[0\]/);
  });
});
