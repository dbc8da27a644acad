import { describe, expect, it } from "vitest";
import { applyDelta, Catalog, diffCatalogs, isEmptyDelta, normalizeSnapshot } from "./catalog.ts";
import { EMPTY_SNAPSHOT, type ReportedEndpoint, type ReportedService, type CatalogSnapshot, type ReportedWorkload } from "./catalog.schema.ts";

const svc = (name: string, extra: Partial<ReportedService> = {}): ReportedService => ({ name, namespace: "default", ports: [{ port: 80, protocol: "http" }], labels: {}, ...extra });
const wl = (name: string, extra: Partial<ReportedWorkload> = {}): ReportedWorkload => ({ name, namespace: "default", serviceAccount: "default", labels: {}, ...extra });
const ep = (service: string, address: string, extra: Partial<ReportedEndpoint> = {}): ReportedEndpoint => ({ service, namespace: "default", address, port: 8080, protocol: "http", ready: true, ...extra });
const snap = (s: Partial<CatalogSnapshot>): CatalogSnapshot => normalizeSnapshot({ ...EMPTY_SNAPSHOT, ...s });

describe("diffCatalogs", () => {
  it.each([
    ["nothing changed", snap({ services: [svc("a")] }), snap({ services: [svc("a")] }), { services: "+0 ~0 -0", workloads: "+0 ~0 -0", endpoints: "+0 ~0 -0" }],
    ["a service appears", snap({}), snap({ services: [svc("a")] }), { services: "+1 ~0 -0", workloads: "+0 ~0 -0", endpoints: "+0 ~0 -0" }],
    ["a service's port changes", snap({ services: [svc("a")] }), snap({ services: [svc("a", { ports: [{ port: 81, protocol: "http" }] })] }), { services: "+0 ~1 -0", workloads: "+0 ~0 -0", endpoints: "+0 ~0 -0" }],
    ["same name, other namespace is another service", snap({ services: [svc("a")] }), snap({ services: [svc("a", { namespace: "shop" })] }), { services: "+1 ~0 -1", workloads: "+0 ~0 -0", endpoints: "+0 ~0 -0" }],
    ["an endpoint turns unready", snap({ endpoints: [ep("a", "10.0.0.1")] }), snap({ endpoints: [ep("a", "10.0.0.1", { ready: false })] }), { services: "+0 ~0 -0", workloads: "+0 ~0 -0", endpoints: "+0 ~1 -0" }],
    ["an endpoint moves port: removed and added", snap({ endpoints: [ep("a", "10.0.0.1")] }), snap({ endpoints: [ep("a", "10.0.0.1", { port: 9090 })] }), { services: "+0 ~0 -0", workloads: "+0 ~0 -0", endpoints: "+1 ~0 -1" }],
    ["a workload's version label changes", snap({ workloads: [wl("a-1", { version: "v1" })] }), snap({ workloads: [wl("a-1", { version: "v2" })] }), { services: "+0 ~0 -0", workloads: "+0 ~1 -0", endpoints: "+0 ~0 -0" }],
    ["label key order does not count as a change", snap({ workloads: [wl("a-1", { labels: { x: "1", y: "2" } })] }), snap({ workloads: [wl("a-1", { labels: { y: "2", x: "1" } })] }), { services: "+0 ~0 -0", workloads: "+0 ~0 -0", endpoints: "+0 ~0 -0" }],
    ["everything goes away", snap({ services: [svc("a")], workloads: [wl("a-1")], endpoints: [ep("a", "10.0.0.1")] }), snap({}), { services: "+0 ~0 -1", workloads: "+0 ~0 -1", endpoints: "+0 ~0 -1" }],
  ])("%s", (_name, before, after, expected) => {
    const delta = diffCatalogs(before, after);
    const counts = Object.fromEntries(Object.entries(delta).map(([k, d]) => [k, `+${d.added.length} ~${d.updated.length} -${d.removed.length}`]));
    expect(counts).toEqual(expected);
    expect(applyDelta(before, delta)).toEqual(after);
    expect(isEmptyDelta(delta)).toBe(Object.values(expected).every((c) => c === "+0 ~0 -0"));
  });

  it("carries the last known object for removals", () => {
    const delta = diffCatalogs(snap({ endpoints: [ep("a", "10.0.0.1", { zone: "z1" })] }), snap({}));
    expect(delta.endpoints.removed).toEqual([ep("a", "10.0.0.1", { zone: "z1" })]);
  });
});

describe("Catalog", () => {
  it("moves its revision and notifies only when the content changes", () => {
    const catalog = new Catalog();
    const seen: number[] = [];
    catalog.subscribe((_s, rev) => seen.push(rev));
    expect(catalog.replace({ services: [svc("b"), svc("a")], workloads: [], endpoints: [] })).toBe(true);
    expect(catalog.replace({ services: [svc("a"), svc("b")], workloads: [], endpoints: [] })).toBe(false);
    expect(catalog.replace({ services: [svc("a")], workloads: [], endpoints: [ep("a", "10.0.0.1", { ready: false })] })).toBe(true);
    expect(seen).toEqual([1, 2]);
    expect(catalog.snapshot.services.map((s) => s.name)).toEqual(["a"]);
    expect(catalog.counts()).toEqual({ services: 1, workloads: 0, endpoints: 1, readyEndpoints: 0 });
  });
});
