import { validateResource } from "@weft/mesh-model";
import { describe, expect, it } from "vitest";
import { faultDraftOf, faultedRoute, faultFields, faultPath, faultSummary, NEW_FAULT, type FaultDraft } from "./fault-injection.ts";
import { WizardIssues } from "./wizard-issues.ts";

const svc = { namespace: "shop", name: "checkout" };
const existing = () => ({
  apiVersion: "weft.io/v1alpha1",
  kind: "HTTPRoute" as const,
  metadata: { name: "checkout", namespace: "shop" },
  spec: {
    parentRefs: [{ kind: "Service", name: "checkout" }],
    rules: [
      { matches: [{ headers: [{ type: "Exact", name: "x-beta", value: "1" }] }], backendRefs: [{ kind: "Service", name: "checkout", version: "v2" }] },
      { filters: [{ type: "RequestHeaderModifier", requestHeaderModifier: { set: [{ name: "x-a", value: "b" }] } }], backendRefs: [{ kind: "Service", name: "checkout", version: "v1", weight: 100 }] },
    ],
  },
});
const draft = (change: (d: FaultDraft) => void): FaultDraft => {
  const d = structuredClone(NEW_FAULT);
  change(d);
  return d;
};

describe("fault injection wizard", () => {
  it("creates a route for a service without one: its catch-all rule sends to every version and carries the fault", () => {
    const out = faultedRoute(null, svc, draft((d) => ((d.delay.enabled = true), (d.abort.percentage = 5))));
    expect(out.spec.rules).toEqual([
      {
        backendRefs: [{ kind: "Service", name: "checkout" }],
        filters: [{ type: "FaultInjection", faultInjection: { delay: { fixedDelay: "2s", percentage: 10 }, abort: { httpStatus: 503, percentage: 5 } } }],
      },
    ]);
    expect(validateResource(out).ok).toBe(true);
  });

  it("adds the fault to the catch-all rule of an existing route after its filters, leaving the other rules alone, and reopens with its values", () => {
    const route = existing();
    const d = draft((x) => {
      x.delay = { enabled: true, fixedDelay: "1500ms", percentage: 25 };
      x.abort = { enabled: true, status: "grpc", httpStatus: 503, grpcStatus: "UNAVAILABLE", percentage: 2.5 };
      x.header = { enabled: true, type: "Exact", name: "x-chaos", value: "on" };
    });
    const out = faultedRoute(route, svc, d);
    expect(out.spec.rules?.[0]).toEqual(route.spec.rules[0]);
    expect(out.spec.rules?.[1]?.filters).toEqual([
      route.spec.rules[1]?.filters?.[0],
      { type: "FaultInjection", faultInjection: { delay: { fixedDelay: "1500ms", percentage: 25 }, abort: { grpcStatus: "UNAVAILABLE", percentage: 2.5 }, headers: [{ type: "Exact", name: "x-chaos", value: "on" }] } },
    ]);
    expect(faultPath(route)).toBe("spec.rules[1].filters[1].faultInjection");
    expect(faultPath(out)).toBe("spec.rules[1].filters[1].faultInjection");
    expect(faultDraftOf(out)).toEqual(d);
    expect(route.spec.rules[1]?.filters).toHaveLength(1); // the stored document is not changed in place
  });

  it("keeps header matches the form does not show, and removes the fault when delay and abort are both turned off", () => {
    const withTwo = faultedRoute(existing(), svc, draft((x) => ((x.header.enabled = true), (x.otherHeaders = [{ type: "Exact", name: "x-two", value: "2" }]))));
    const reopened = faultDraftOf(withTwo);
    expect(reopened.otherHeaders).toEqual([{ type: "Exact", name: "x-two", value: "2" }]);
    const off = faultedRoute(withTwo, svc, { ...reopened, abort: { ...reopened.abort, enabled: false } });
    expect(off.spec.rules?.[1]?.filters).toEqual(existing().spec.rules[1]?.filters);
    expect(faultDraftOf(off)).toEqual(NEW_FAULT);
  });

  it.each([
    ["a delay that is not a duration", (d: FaultDraft) => ((d.delay.enabled = true), (d.delay.fixedDelay = "2 seconds")), "delay.fixedDelay", /^must be a duration like "250ms"/],
    ["a share over 100 %", (d: FaultDraft) => (d.abort.percentage = 150), "abort.percentage", /^must be between 0 and 100$/],
    ["an empty share", (d: FaultDraft) => (d.abort.percentage = Number.NaN), "abort.percentage", /^expected number/],
    ["a status that is no HTTP status", (d: FaultDraft) => (d.abort.httpStatus = 999), "abort.httpStatus", /^must be an HTTP status between 200 and 599$/],
    ["a header name with a space", (d: FaultDraft) => ((d.header.enabled = true), (d.header.name = "x chaos")), "headers[0].name", /./],
    ["a broken regular expression", (d: FaultDraft) => ((d.header.enabled = true), (d.header.type = "RegularExpression"), (d.header.value = "(")), "headers[0].value", /^invalid regular expression/],
  ])("refuses %s at its field with the schema's message", (_name, change, field, message) => {
    const route = existing();
    const issues = WizardIssues.of(faultedRoute(route, svc, draft(change)), faultFields(route));
    expect(issues.at(`${faultPath(route)}.${field}`)).toMatch(message);
    expect(issues.unplaced()).toEqual([]);
  });

  it("says, away from any field, that a new fault needs a delay or an abort", () => {
    const issues = WizardIssues.of(faultedRoute(null, svc, draft((d) => (d.abort.enabled = false))), faultFields(null));
    expect(issues.unplaced().map((i) => `${i.path}: ${i.message}`)).toEqual(["spec.rules[0].filters[0].faultInjection: must set delay, abort or both"]);
  });

  it("summarises the fault in words", () => {
    expect(faultSummary(draft((d) => ((d.delay.enabled = true), (d.header.enabled = true))), "shop/checkout")).toBe(
      "Requests to shop/checkout carrying header x-weft-fault = 1: delay 10 % of requests by 2s, and answer 10 % with HTTP 503.",
    );
  });
});
