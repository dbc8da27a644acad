// The scale bench's sizes and report arithmetic (bench/scale/plan.mts): what
// `npm run bench:scale` would set up and how it judges a telemetry step. No
// manager is started; the bench itself is run by hand (docs/benchmarks.md).
import { describe, expect, it } from "vitest";
import { calleesOf, clusterOf, clusterServices, keptUp, scalePlan, sustainedEdgeRate, type TelemetryStep } from "../../../bench/scale/plan.mts";

const step = (over: Partial<TelemetryStep>): TelemetryStep => ({ offeredReportsPerSecond: 1, edgesPerReport: 500, sent: 12, completed: 12, failed: 0, seconds: 12, latenciesMs: [800, 900], skipped: 0, backlog: 0, ...over });

describe("scale bench plan", () => {
  it("defaults to issue 19's size: 100 clusters, 10,000 services, 20,000 proxies", () => {
    const plan = scalePlan({});
    expect(plan).toMatchObject({ clusters: 100, services: 10_000, proxies: 20_000, servicesPerCluster: 100, proxiesPerCluster: 200, setups: [1, 2] });
  });

  it("gives every service to exactly one cluster, and calls across clusters", () => {
    const plan = scalePlan({ SCALE_CLUSTERS: "7", SCALE_SERVICES: "70", SCALE_PROXIES: "140", SCALE_CALLEES: "3" });
    const all = Array.from({ length: plan.clusters }, (_, c) => clusterServices(plan, c)).flat();
    expect(all).toEqual(Array.from({ length: 70 }, (_, n) => n));
    expect(all.every((n) => clusterServices(plan, clusterOf(plan, n)).includes(n))).toBe(true);
    expect(calleesOf(plan, 9)).toEqual([10, 11, 12]);
    expect(clusterOf(plan, 9)).not.toBe(clusterOf(plan, 10));
    expect(calleesOf(plan, 69)).toEqual([0, 1, 2]);
  });

  it("refuses sizes it cannot set up, naming the knob", () => {
    expect(() => scalePlan({ SCALE_CLUSTERS: "0" })).toThrow(/SCALE_CLUSTERS must be a whole number/);
    expect(() => scalePlan({ SCALE_SERVICES: "5", SCALE_CLUSTERS: "10" })).toThrow(/SCALE_SERVICES \(5\) must be at least SCALE_CLUSTERS/);
    expect(() => scalePlan({ SCALE_PROXIES: "100" })).toThrow(/SCALE_PROXIES \(100\) must be at least SCALE_SERVICES/);
    expect(() => scalePlan({ SCALE_CLUSTERS: "30", SCALE_SERVICES: "100", SCALE_PROXIES: "100" })).toThrow(/leaves the last cluster without services/);
    expect(() => scalePlan({ SCALE_SETUPS: "3" })).toThrow(/SCALE_SETUPS must be/);
    expect(() => scalePlan({ SCALE_SIDECARS: "yes" })).toThrow(/SCALE_SIDECARS must be 1 or 0/);
  });

  it("calls the sustained telemetry rate the last step before the first one the manager fell behind on", () => {
    const steps = [step({}), step({ offeredReportsPerSecond: 2, sent: 24, completed: 24 }), step({ offeredReportsPerSecond: 4, sent: 48, completed: 48, latenciesMs: [9_000, 14_000] }), step({ offeredReportsPerSecond: 8 })];
    expect(steps.map(keptUp)).toEqual([true, true, false, true]);
    expect(sustainedEdgeRate(steps)).toBe(1000);
    expect(keptUp(step({ skipped: 1 }))).toBe(false);
    expect(keptUp(step({ failed: 1, completed: 11 }))).toBe(false);
    expect(keptUp(step({ backlog: 2, completed: 10 }))).toBe(false);
    expect(sustainedEdgeRate([step({ failed: 1 })])).toBeNull();
  });
});
