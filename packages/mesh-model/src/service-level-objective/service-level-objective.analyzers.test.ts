import { describe, expect, it } from "vitest";
import { analyze } from "../analysis/analyze.ts";
import type { MeshSnapshot } from "../analysis/snapshot.ts";
import { baseSnapshot, findingLines, make } from "../testing/fixtures.ts";

type Spec = Parameters<typeof make<"ServiceLevelObjective">>[2];
const slo = (spec: Partial<Spec> = {}) => make("ServiceLevelObjective", "checkout", { service: { name: "checkout" }, indicator: { type: "availability" }, objective: 99.9, ...spec });
const run = (spec: Partial<Spec>, snapshot: Partial<MeshSnapshot> = {}) => findingLines(analyze(baseSnapshot({ resources: [slo(spec)], ...snapshot })));
const DAY = 86_400_000;

describe("ServiceLevelObjective analyzers", () => {
  it.each<[string, Partial<Spec>, Partial<MeshSnapshot>, string[]]>([
    ["a known service", {}, {}, []],
    ["an unknown service (WEFT6001)", { service: { name: "payments" } }, {}, ["WEFT6001 ServiceLevelObjective/shop/checkout spec.service.name"]],
    ["a service of another namespace", { service: { name: "checkout", namespace: "billing" } }, {}, ["WEFT6001 ServiceLevelObjective/shop/checkout spec.service.name"]],
    ["a cluster the service runs in", { clusters: ["west"] }, {}, []],
    ["a cluster it does not run in", { clusters: ["east", "north"] }, {}, ["WEFT6001 ServiceLevelObjective/shop/checkout spec.clusters[1]"]],
    // 90 % allows at most a 10× burn: the workbook's 14.4× page can never fire.
    ["the workbook preset at 90 % (WEFT6002)", { objective: 90 }, {}, ["WEFT6002 ServiceLevelObjective/shop/checkout spec.alerting.preset"]],
    ["own windows that can fire at 90 %", { objective: 90, alerting: { windows: [{ severity: "page", longWindow: "1h", shortWindow: "5m", burnRate: 5 }] } }, {}, []],
    ["a threshold equal to the highest burn", { objective: 90, alerting: { windows: [{ severity: "page", longWindow: "1h", shortWindow: "5m", burnRate: 10 }] } }, {}, ["WEFT6002 ServiceLevelObjective/shop/checkout spec.alerting.windows[0].burnRate"]],
    ["alerting off is not judged", { objective: 90, alerting: { enabled: false } }, {}, []],
    ["a 30-day window with 35 days kept", {}, { metricsRetentionMs: 35 * DAY }, []],
    ["a 30-day window with 7 days kept (WEFT6003)", {}, { metricsRetentionMs: 7 * DAY }, ["WEFT6003 ServiceLevelObjective/shop/checkout spec.window"]],
    ["a 7-day window whose 3d alert exceeds 2 days kept", { window: "7d" }, { metricsRetentionMs: 2 * DAY }, ["WEFT6003 ServiceLevelObjective/shop/checkout spec.alerting.preset", "WEFT6003 ServiceLevelObjective/shop/checkout spec.window"]],
    ["busy traffic needs no guard", {}, { observedTraffic: [{ namespace: "shop", service: "checkout", requestsPerSecond: 5 }] }, []],
    // 10 requests an hour: one failure in 1h is a 100× burn of 99.9 %; it takes 70 requests for 14.4×, 167 for 6×, 1000 for 1×.
    [
      "10 requests an hour (WEFT6004)",
      {},
      { observedTraffic: [{ namespace: "shop", service: "checkout", requestsPerSecond: 10 / 3600 }] },
      ["WEFT6004 ServiceLevelObjective/shop/checkout spec.alerting.preset", "WEFT6004 ServiceLevelObjective/shop/checkout spec.alerting.preset", "WEFT6004 ServiceLevelObjective/shop/checkout spec.alerting.preset"],
    ],
    ["10 requests an hour with a guard", { alerting: { minimumEvents: 1000 } }, { observedTraffic: [{ namespace: "shop", service: "checkout", requestsPerSecond: 10 / 3600 }] }, []],
  ])("%s", (_name, spec, snapshot, expected) => {
    expect(run(spec, snapshot)).toEqual(expected);
  });

  it("says why an alert can never fire", () => {
    const [f] = analyze(baseSnapshot({ resources: [slo({ objective: 90 })] }));
    expect(f?.severity).toBe("error");
    expect(f?.message).toBe(
      "the page alert 1h/5m needs a burn rate over 14.4×, but at a 90 % objective every request failing is only 10×: it can never fire (from the workbook preset; set alerting.windows to choose your own)",
    );
  });

  it("names the burn one failure causes at low traffic", () => {
    const findings = analyze(baseSnapshot({ resources: [slo()], observedTraffic: [{ namespace: "shop", service: "checkout", requestsPerSecond: 10 / 3600 }] }));
    expect(findings[0]?.severity).toBe("warning");
    expect(findings[0]?.message).toBe(
      "at 10 requests/hour the page alert 1h/5m fires on a single failed request (one failure among 10 requests is a 100× burn over 1h); set alerting.minimumEvents to at least 70",
    );
  });
});
