import { describe, expect, it } from "vitest";
import { newPolicyFor, policyForService, type PolicyDoc } from "./service-traffic-policy.ts";
import { NEW_RETRIES, parseStatusCodes, RETRY_FIELDS, retriedPolicy, retryDraftOf, retryEffect, type RetryDraft } from "./timeouts-retries.ts";
import { WizardIssues } from "./wizard-issues.ts";

const svc = { namespace: "shop", name: "checkout" };
const stored = (): PolicyDoc => ({
  apiVersion: "weft.io/v1alpha1",
  kind: "TrafficPolicy",
  metadata: { name: "checkout-policy", namespace: "shop" },
  spec: { targetRef: { name: "checkout" }, timeouts: { connect: "1s" }, retries: { attempts: 3, backoff: { baseInterval: "50ms" } }, circuitBreaker: { maxRequests: 10 } },
});
const row = (doc: PolicyDoc) => ({ kind: "TrafficPolicy", namespace: doc.metadata.namespace, name: doc.metadata.name, document: doc });

describe("the service's TrafficPolicy", () => {
  it("is the one targeting the whole service; a version or port policy is not it", () => {
    const version = { ...stored(), metadata: { name: "checkout-traffic", namespace: "shop" }, spec: { targetRef: { name: "checkout", version: "v2" } } };
    expect(policyForService([row(version)], svc)).toBeNull();
    expect(policyForService([row(version), row(stored())], svc)?.metadata.name).toBe("checkout-policy");
    expect(policyForService([{ kind: "TrafficPolicy", document: null }], svc)).toBeNull();
    // A new one takes the catalog's name, unless the version policy already has it.
    expect(newPolicyFor([], svc).metadata.name).toBe("checkout-traffic");
    expect(newPolicyFor([row(version)], svc).metadata.name).toBe("checkout-traffic-2");
  });
});

describe("timeouts and retries wizard", () => {
  it("writes the timeout and retries into the stored policy, keeping what the form does not show, and reopens with its values", () => {
    const d: RetryDraft = { ...NEW_RETRIES, requestTimeout: "3s", attempts: 2, perTryTimeout: "1s", retryOn: ["gateway-error", "retriable-status-codes"], statusCodes: "409, 429", budgetPercent: 25, minRetriesPerSecond: 5 };
    const out = retriedPolicy(stored(), d);
    expect(out.spec).toEqual({
      targetRef: { name: "checkout" },
      timeouts: { connect: "1s", request: "3s" },
      retries: { attempts: 2, backoff: { baseInterval: "50ms" }, perTryTimeout: "1s", retryOn: ["gateway-error", "retriable-status-codes"], retriableStatusCodes: [409, 429], budget: { percent: 25, minRetriesPerSecond: 5 } },
      circuitBreaker: { maxRequests: 10 },
    });
    expect(retryDraftOf(out)).toEqual(d);
    expect(WizardIssues.of(out, RETRY_FIELDS).ok).toBe(true);
  });

  it("leaves retryOn out when the defaults are chosen and it was out, and removes what is turned off", () => {
    const reopened = retryDraftOf(stored());
    expect(reopened).toMatchObject({ requestTimeout: "", retries: true, attempts: 3, retryOn: ["5xx", "connect-failure", "reset"], budget: false });
    expect(retriedPolicy(stored(), reopened).spec.retries).toEqual(stored().spec.retries);
    const off = retriedPolicy(stored(), { ...reopened, retries: false });
    expect(off.spec).toEqual({ targetRef: { name: "checkout" }, timeouts: { connect: "1s" }, circuitBreaker: { maxRequests: 10 } });
    const fresh = retriedPolicy(newPolicyFor([], svc), { ...NEW_RETRIES, requestTimeout: "" });
    expect(fresh.spec.timeouts).toBeUndefined();
  });

  it.each([
    ["a per-try timeout that is not a duration", { perTryTimeout: "soon" }, "spec.retries.perTryTimeout", /^must be a duration like/],
    ["no retries", { attempts: 0 }, "spec.retries.attempts", /^must be at least 1$/],
    ["a budget over 100 %", { budgetPercent: 120 }, "spec.retries.budget.percent", /^must be between 0 and 100$/],
    ["retriable statuses without the condition", { statusCodes: "503" }, "spec.retries.retriableStatusCodes", /^has no effect unless retryOn contains "retriable-status-codes"$/],
    ["a status that is not a number", { retryOn: ["retriable-status-codes" as const], statusCodes: "503, teapot" }, "spec.retries.retriableStatusCodes", /^expected number/],
  ])("refuses %s at its field with the schema's message", (_name, change, field, message) => {
    const issues = WizardIssues.of(retriedPolicy(stored(), { ...NEW_RETRIES, ...change }), RETRY_FIELDS);
    expect(issues.at(field)).toMatch(message);
    expect(issues.unplaced()).toEqual([]);
  });

  it("reads the status list", () => {
    expect(parseStatusCodes(" 503,504  429")).toEqual([503, 504, 429]);
    expect(parseStatusCodes("")).toEqual([]);
  });

  it.each([
    [
      "the default: 15 s, 2 retries of 5 s, budget 20 % + 10/s",
      NEW_RETRIES,
      undefined,
      [
        "A caller waits at most 15s for an answer, retries included; then it gets 504.",
        "A call that fails with any 5xx answer or none, a failed connection, a reset stream is tried again up to 2 times: at most 3 attempts, each limited to 5s.",
        "Retry budget: retries may add at most 20 % to the requests, plus 10 retries per second from each calling proxy so quiet services can still retry: in an outage at high traffic the service sees about 1.2× its load instead of 3×.",
      ],
    ],
    [
      "a per-try timeout the request timeout cannot fit three times; no budget",
      { ...NEW_RETRIES, requestTimeout: "2s", perTryTimeout: "1s", budget: false },
      undefined,
      [
        "A caller waits at most 2s for an answer, retries included; then it gets 504.",
        "A call that fails with any 5xx answer or none, a failed connection, a reset stream is tried again up to 2 times: at most 3 attempts, each limited to 1s.",
        "The 2s request timeout leaves room for only 2 attempts of 1s: the later retries are never sent when attempts time out.",
        "No retry budget: in an outage every request may be sent 3 times, up to 3× the load on a failing service.",
      ],
    ],
    [
      "with the observed rate: 6 req/s, 20 % + 10/s",
      { ...NEW_RETRIES, requestTimeout: "" },
      6,
      [
        "No request timeout: a caller waits as long as the service takes.",
        "A call that fails with any 5xx answer or none, a failed connection, a reset stream is tried again up to 2 times: at most 3 attempts, each limited to 5s.",
        "Retry budget: retries may add at most 20 % to the requests, plus 10 retries per second from each calling proxy so quiet services can still retry: in an outage at high traffic the service sees about 1.2× its load instead of 3×.",
        // 0.2 × 6 + 10 = 11.2 retries/s = 672/min; 1 + 11.2/6 ≈ 2.9: at this traffic the floor lets nearly every retry through.
        "At its recent ≈ 360 req/min, that is at most ≈ 672 retries/min per calling proxy: about 2.9× the load in an outage.",
      ],
    ],
    ["retries off", { ...NEW_RETRIES, retries: false }, undefined, ["A caller waits at most 15s for an answer, retries included; then it gets 504.", "No retries: a failed call fails at once."]],
  ])("says what it does: %s", (_name, d, observed, want) => {
    expect(retryEffect(d, observed)).toEqual(want);
  });
});
