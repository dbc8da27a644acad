import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { make } from "../testing/fixtures.ts";
import { prometheusRulesYaml, sloPrometheusRules, type PrometheusRuleFile } from "./prometheus-rules.ts";
import { bucketPlan, selectorMatchers } from "./promql.ts";

type Spec = Parameters<typeof make<"ServiceLevelObjective">>[2];
const slo = (spec: Partial<Spec> = {}) => make("ServiceLevelObjective", "checkout", { service: { name: "checkout" }, indicator: { type: "availability" }, objective: 99.9, ...spec });

describe("Sloth-style Prometheus rules", () => {
  it("records the error ratio of every window and alerts once per window pair, naming both windows", () => {
    const file = sloPrometheusRules(slo());
    const records = file.groups[0]!.rules.map((r) => r.record + " " + r.labels?.weft_window);
    expect(records).toEqual([
      "weft_slo:sli_error:ratio_rate5m 5m",
      "weft_slo:sli_error:ratio_rate30m 30m",
      "weft_slo:sli_error:ratio_rate1h 1h",
      "weft_slo:sli_error:ratio_rate6h 6h",
      "weft_slo:sli_error:ratio_rate3d 3d",
      "weft_slo:sli_error:ratio_rate30d 30d",
    ]);
    const alerts = file.groups[2]!.rules;
    expect(alerts.map((a) => [a.labels?.severity, a.labels?.weft_window])).toEqual([
      ["page", "1h/5m"],
      ["page", "6h/30m"],
      ["ticket", "3d/6h"],
    ]);
    expect(alerts[0]!.expr).toBe(
      'max by (weft_slo, weft_service) (weft_slo:sli_error:ratio_rate1h{weft_slo="shop/checkout"} > (14.4 * 0.001))\nand\nmax by (weft_slo, weft_service) (weft_slo:sli_error:ratio_rate5m{weft_slo="shop/checkout"} > (14.4 * 0.001))',
    );
    // Both burn rates in the text (Sloth #489).
    expect(alerts[0]!.annotations?.description).toMatch(/ratio_rate1h.*× over 1h and .*ratio_rate5m.*× over 5m/);
  });

  it("counts the callers' side only and falls back to zero errors when no error series exists yet", () => {
    const expr = sloPrometheusRules(slo()).groups[0]!.rules[0]!.expr;
    expect(expr).toContain('reporter="source"');
    expect(expr).toMatch(/^\(sum\(rate\(weft_requests_total\{[^}]*response_code=~"5\.\.\|0\|1\.\."\}\[5m\]\)\) or 0 \* sum\(rate/);
  });

  it("groups per-cluster SLOs by destination cluster, down to the alerts", () => {
    const file = sloPrometheusRules(slo({ clusters: ["east", "west"], perCluster: true }));
    expect(file.groups[0]!.rules[0]!.expr).toContain('sum by (destination_cluster)(rate(weft_requests_total{destination_service="checkout",reporter="source",destination_cluster=~"east|west"');
    expect(file.groups[2]!.rules[0]!.expr).toMatch(/^max by \(destination_cluster, weft_slo, weft_service\)/);
  });

  it("leaves out alerts when alerting is off, and writes `for` when set", () => {
    expect(sloPrometheusRules(slo({ alerting: { enabled: false } })).groups).toHaveLength(2);
    const file = sloPrometheusRules(slo({ alerting: { windows: [{ severity: "page", longWindow: "1h", shortWindow: "5m", burnRate: 14.4, for: "2m" }] } }));
    expect(file.groups[2]!.rules[0]!.for).toBe("120s");
  });

  it("writes YAML with notes a reader needs", () => {
    const text = prometheusRulesYaml([slo({ indicator: { type: "latency", threshold: "300ms" } })]);
    expect(text).toContain("# Check with: promtool check rules");
    expect(text).toContain("#   Latency threshold 300ms: interpolated between the 250 ms and 500 ms buckets (not a bucket bound).");
    expect((parse(text) as PrometheusRuleFile).groups).toHaveLength(3);
  });
});

describe("reading a latency threshold from the proxies' histogram", () => {
  it.each([
    [250, { lower: 0.25, upper: null, fraction: 0 }],
    [1000, { lower: 1, upper: null, fraction: 0 }],
    [300, { lower: 0.25, upper: 0.5, fraction: 0.2 }],
    [0.5, { lower: null, upper: 0.001, fraction: 0.5 }],
    [60_000, { lower: null, upper: null, fraction: 1 }],
  ])("%s ms", (ms, plan) => {
    expect(bucketPlan(ms)).toMatchObject({ ...plan, fraction: expect.closeTo(plan.fraction, 9) });
  });

  it("selects by clusters and versions with escaped alternations", () => {
    expect(selectorMatchers({ service: "checkout", clusters: ["east"], versions: ["v1", "v2"] })).toBe(
      'destination_service="checkout",reporter="source",destination_cluster=~"east",destination_version=~"v1|v2"',
    );
  });
});
