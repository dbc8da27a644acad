import { describe, expect, it } from "vitest";
import { doc, issuesOf, make } from "../testing/fixtures.ts";

const valid = { service: { name: "checkout" }, indicator: { type: "availability" as const }, objective: 99.9 };
const slo = (spec: Record<string, unknown>) => doc("ServiceLevelObjective", spec);

describe("ServiceLevelObjective schema", () => {
  it("fills in the defaults: 30 days, the workbook's alerts, 5xx and no response as errors", () => {
    const parsed = make("ServiceLevelObjective", "checkout-availability", valid);
    expect(parsed.spec).toEqual({
      service: { name: "checkout" },
      indicator: { type: "availability", errorClasses: ["5xx", "other"] },
      objective: 99.9,
      window: "30d",
      perCluster: false,
      alerting: { enabled: true, preset: "workbook", minimumEvents: 0 },
    });
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ["a valid latency SLO", { ...valid, indicator: { type: "latency", threshold: "250ms" }, window: "7d" }, []],
    ["own alert windows", { ...valid, alerting: { windows: [{ severity: "page", longWindow: "2h", shortWindow: "10m", burnRate: 10, for: "2m" }] } }, []],
    ["objective 100", { ...valid, objective: 100 }, ["spec.objective: too_big"]],
    ["objective above 100", { ...valid, objective: 120 }, ["spec.objective: too_big"]],
    ["objective 0", { ...valid, objective: 0 }, ["spec.objective: too_small"]],
    ["objective negative", { ...valid, objective: -1 }, ["spec.objective: too_small"]],
    ["objective missing", { service: valid.service, indicator: valid.indicator }, ["spec.objective: required"]],
    ["a window that is not offered", { ...valid, window: "90d" }, ["spec.window: invalid_value"]],
    ["an unknown indicator type", { ...valid, indicator: { type: "throughput" } }, ["spec.indicator.type: invalid_value"]],
    ["latency without threshold", { ...valid, indicator: { type: "latency" } }, ["spec.indicator.threshold: required"]],
    ["a latency threshold that is not a duration", { ...valid, indicator: { type: "latency", threshold: "fast" } }, ["spec.indicator.threshold: invalid_duration"]],
    ["a repeated error class", { ...valid, indicator: { type: "availability", errorClasses: ["5xx", "5xx"] } }, ["spec.indicator.errorClasses[1]: duplicate"]],
    ["no error class", { ...valid, indicator: { type: "availability", errorClasses: [] } }, ["spec.indicator.errorClasses: too_small"]],
    ["a bad service name", { ...valid, service: { name: "Checkout" } }, ["spec.service.name: invalid_format"]],
    ["an unknown field", { ...valid, target: 99 }, ["spec.target: unknown_field"]],
    ["a short window as long as the long one", { ...valid, alerting: { windows: [{ severity: "page", longWindow: "1h", shortWindow: "60m", burnRate: 14.4 }] } }, ["spec.alerting.windows[0].shortWindow: invalid_window_pair"]],
    ["a long window beyond the SLO window", { ...valid, window: "7d", alerting: { windows: [{ severity: "ticket", longWindow: "8d", shortWindow: "6h", burnRate: 1 }] } }, ["spec.alerting.windows[0].longWindow: window_out_of_range"]],
    ["a window over 30 days", { ...valid, alerting: { windows: [{ severity: "ticket", longWindow: "31d", shortWindow: "6h", burnRate: 1 }] } }, ["spec.alerting.windows[0].longWindow: window_out_of_range"]],
    ["a window in seconds", { ...valid, alerting: { windows: [{ severity: "page", longWindow: "1h", shortWindow: "30s", burnRate: 14.4 }] } }, ["spec.alerting.windows[0].shortWindow: invalid_window"]],
    ["a zero burn rate", { ...valid, alerting: { windows: [{ severity: "page", longWindow: "1h", shortWindow: "5m", burnRate: 0 }] } }, ["spec.alerting.windows[0].burnRate: too_small"]],
    ["the same pair twice", { ...valid, alerting: { windows: [{ severity: "page", longWindow: "1h", shortWindow: "5m", burnRate: 14.4 }, { severity: "ticket", longWindow: "1h", shortWindow: "5m", burnRate: 2 }] } }, ["spec.alerting.windows[1]: duplicate"]],
    ["an empty window list", { ...valid, alerting: { windows: [] } }, ["spec.alerting.windows: too_small"]],
    ["a negative minimum", { ...valid, alerting: { minimumEvents: -5 } }, ["spec.alerting.minimumEvents: too_small"]],
    ["a runbook that is not a URL", { ...valid, links: { runbook: "see wiki" } }, ["spec.links.runbook: invalid_format"]],
    ["a repeated cluster", { ...valid, clusters: ["east", "east"] }, ["spec.clusters[1]: duplicate"]],
  ])("%s", (_name, spec, expected) => {
    expect(issuesOf(slo(spec))).toEqual(expected);
  });
});
