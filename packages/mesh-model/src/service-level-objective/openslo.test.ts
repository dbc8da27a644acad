import { parse, parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { make } from "../testing/fixtures.ts";
import { fromOpenSlo, openSloYaml, toOpenSlo } from "./openslo.ts";

type Spec = Parameters<typeof make<"ServiceLevelObjective">>[2];
const slo = (spec: Partial<Spec> = {}, name = "checkout-availability") =>
  make("ServiceLevelObjective", name, { service: { name: "checkout" }, indicator: { type: "availability" }, objective: 99.9, ...spec });

const issuesOf = (text: string) => {
  const result = fromOpenSlo(text);
  return result.ok ? [] : result.issues.map((i) => `${i.document ?? "-"} ${i.path}: ${i.code}`);
};

describe("OpenSLO export and import round-trip", () => {
  it.each<[string, Partial<Spec>]>([
    ["the defaults (workbook preset)", {}],
    ["the sloth preset", { alerting: { preset: "sloth" } }],
    ["a latency SLI at a threshold between buckets, 7 days", { indicator: { type: "latency", threshold: "300ms" }, window: "7d" }],
    ["own windows with for, a guard, clusters and links", {
      description: "Checkout answers.",
      clusters: ["east", "west"],
      perCluster: true,
      indicator: { type: "availability", errorClasses: ["5xx", "4xx", "other"] },
      objective: 99.95,
      window: "28d",
      alerting: { minimumEvents: 200, windows: [{ severity: "page", longWindow: "2h", shortWindow: "10m", burnRate: 10, for: "90s" }, { severity: "ticket", longWindow: "1d", shortWindow: "2h", burnRate: 2.5, for: "5m" }] },
      links: { runbook: "https://runbooks.example.com/checkout", dashboard: "https://grafana.example.com/d/checkout" },
    }],
    ["alerting turned off", { alerting: { enabled: false } }],
    ["a service in another namespace", { service: { name: "ledger", namespace: "payments" } }],
  ])("%s", (_name, spec) => {
    const original = slo(spec);
    const yaml = openSloYaml([original]);
    const back = fromOpenSlo(yaml, { namespace: "elsewhere" });
    expect(back).toMatchObject({ ok: true, warnings: [] });
    expect(back.ok && back.value).toEqual([original]);
  });

  it("writes an SLO and one AlertPolicy per window pair, with the short window in an annotation", () => {
    const { documents, lost } = toOpenSlo(slo());
    expect(documents.map((d) => d.kind)).toEqual(["SLO", "AlertPolicy", "AlertPolicy", "AlertPolicy"]);
    expect(documents[0]).toMatchObject({
      apiVersion: "openslo/v1",
      metadata: { name: "checkout-availability", annotations: { "weft.io/namespace": "shop", "weft.io/error-classes": "5xx,other", "weft.io/alert-preset": "workbook" } },
      spec: {
        service: "checkout",
        timeWindow: [{ duration: "30d", isRolling: true }],
        budgetingMethod: "Occurrences",
        objectives: [{ target: 0.999 }],
        alertPolicies: [{ alertPolicyRef: "checkout-availability-page-1h-5m" }, { alertPolicyRef: "checkout-availability-page-6h-30m" }, { alertPolicyRef: "checkout-availability-ticket-3d-6h" }],
        indicator: {
          spec: {
            ratioMetric: {
              bad: { metricSource: { type: "Prometheus", spec: { query: 'sum(rate(weft_requests_total{destination_service="checkout",reporter="source",response_code=~"5..|0|1.."}[{{.window}}]))' } } },
              total: { metricSource: { type: "Prometheus", spec: { query: 'sum(rate(weft_requests_total{destination_service="checkout",reporter="source"}[{{.window}}]))' } } },
            },
          },
        },
      },
    });
    expect(documents[1]).toMatchObject({
      kind: "AlertPolicy",
      metadata: { annotations: { "weft.io/short-window": "5m" } },
      spec: { conditions: [{ kind: "AlertCondition", spec: { severity: "page", condition: { kind: "burnrate", op: "gt", threshold: 14.4, lookbackWindow: "1h" } } }] },
    });
    expect(lost.join("\n")).toMatch(/one condition with one lookbackWindow/);
  });

  it("says in the file what OpenSLO cannot carry", () => {
    const yaml = openSloYaml([slo({ clusters: ["east"], alerting: { minimumEvents: 10 } })]);
    expect(yaml.split("\n")[0]).toMatch(/^# shop\/checkout-availability: OpenSLO cannot carry .*short windows.*namespaces.*clusters.*minimum-event guard/);
    expect(parseAllDocuments(yaml).every((d) => d.errors.length === 0)).toBe(true);
  });
});

const FOREIGN = `apiVersion: openslo/v1
kind: SLO
metadata:
  name: web-availability
  displayName: Web availability
spec:
  service: frontend
  indicatorRef: web-errors
  timeWindow:
    - duration: 4w
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: good
      targetPercent: 99.5
  alertPolicies:
    - alertPolicyRef: fast-burn
---
apiVersion: openslo/v1
kind: SLI
metadata:
  name: web-errors
spec:
  ratioMetric:
    counter: true
    bad:
      metricSource:
        type: Prometheus
        spec:
          query: sum(rate(http_requests_total{code=~"5.."}[5m]))
    total:
      metricSource:
        type: Prometheus
        spec:
          query: sum(rate(http_requests_total[5m]))
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata:
  name: fast-burn
spec:
  alertWhenBreaching: true
  conditions:
    - conditionRef: burn-2h
  notificationTargets:
    - targetRef: on-call
---
apiVersion: openslo/v1
kind: AlertCondition
metadata:
  name: burn-2h
spec:
  severity: critical
  condition:
    kind: burnrate
    op: gte
    threshold: 10
    lookbackWindow: 2h
    alertAfter: 5m
---
apiVersion: openslo/v1
kind: AlertNotificationTarget
metadata:
  name: on-call
spec:
  target: pagerduty
`;

describe("OpenSLO import from another tool", () => {
  it("reads references between documents, and warns about what it assumed", () => {
    const result = fromOpenSlo(FOREIGN, { namespace: "shop" });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value[0]?.metadata).toEqual({ name: "web-availability", namespace: "shop" });
    expect(result.value[0]?.spec).toMatchObject({
      service: { name: "frontend" },
      indicator: { type: "availability", errorClasses: ["5xx", "other"] },
      objective: 99.5,
      window: "28d",
      alerting: { enabled: true, windows: [{ severity: "page", longWindow: "2h", shortWindow: "10m", burnRate: 10, for: "5m" }] },
    });
    expect(result.warnings.map((w) => w.path)).toEqual(["spec.indicatorRef.ratioMetric", "spec.alertPolicies[0]"]);
    expect(result.warnings[1]?.message).toMatch(/used 10m, 1\/12 of the 2h lookback window/);
  });
});

describe("malformed OpenSLO is refused with the path, nothing read", () => {
  const base = parse(FOREIGN.split("---\n")[0] as string) as Record<string, unknown>;
  const query = { metricSource: { type: "Prometheus", spec: { query: "up" } } };
  const sloDoc = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ ...base, ...extra, spec: { ...(base.spec as object), indicatorRef: undefined, alertPolicies: undefined, indicator: { metadata: { name: "x" }, spec: { ratioMetric: { bad: query, total: query } } }, ...spec } });

  it.each<[string, string, string[]]>([
    ["not YAML", "apiVersion: openslo/v1\nkind: [", ["0 : yaml_syntax"]],
    ["another API version", sloDoc({}, { apiVersion: "openslo/v2alpha" }), ["0 apiVersion: invalid_value"]],
    ["no service", sloDoc({ service: undefined }), ["0 spec.service: required"]],
    ["timeslices", sloDoc({ budgetingMethod: "Timeslices" }), ["0 spec.budgetingMethod: unsupported"]],
    ["a calendar window", sloDoc({ timeWindow: [{ duration: "1M", calendar: { startTime: "2020-01-21 12:30:00", timeZone: "UTC" } }] }), ["0 spec.timeWindow[0]: unsupported"]],
    ["a 90-day window", sloDoc({ timeWindow: [{ duration: "90d", isRolling: true }] }), ["0 spec.timeWindow[0].duration: invalid_value"]],
    ["two objectives", sloDoc({ objectives: [{ target: 0.99 }, { target: 0.999 }] }), ["0 spec.objectives[1]: unsupported"]],
    ["a target of 100 %", sloDoc({ objectives: [{ target: 1 }] }), ["0 spec.objectives[0].target: too_big"]],
    ["a threshold metric", sloDoc({ indicator: { metadata: { name: "x" }, spec: { thresholdMetric: { metricSource: { type: "Prometheus", spec: {} } } } } }), ["0 spec.indicator.spec.thresholdMetric: unsupported"]],
    ["good/total without saying what they measure", sloDoc({ indicator: { metadata: { name: "x" }, spec: { ratioMetric: { good: query, total: query } } } }), ["0 spec.indicator.spec.ratioMetric: unsupported"]],
    ["a policy reference to nothing", sloDoc({ alertPolicies: [{ alertPolicyRef: "missing" }] }), ["0 spec.alertPolicies[0].alertPolicyRef: unknown_reference"]],
    ["two conditions in a policy", sloDoc({ alertPolicies: [{ kind: "AlertPolicy", metadata: { name: "p" }, spec: { conditions: [{ conditionRef: "a" }, { conditionRef: "b" }] } }] }), ["0 spec.alertPolicies[0].spec.conditions: too_big"]],
    ["an unknown error class", sloDoc({}, { metadata: { name: "x", annotations: { "weft.io/error-classes": "5xx,6xx" } } }), ['0 metadata.annotations["weft.io/error-classes"]: invalid_value']],
    ["no SLO at all", "apiVersion: openslo/v1\nkind: Service\nmetadata:\n  name: web\nspec: {}\n", ["0 kind: required"]],
  ])("%s", (_name, text, expected) => {
    expect(issuesOf(text)).toEqual(expected);
  });
});
