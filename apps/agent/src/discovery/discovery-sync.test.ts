import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MemoryLogger } from "../logger.ts";
import { InMemoryReporter } from "../manager-link/in-memory-manager.ts";
import { Catalog } from "./catalog.ts";
import type { CatalogSnapshot } from "./catalog.schema.ts";
import { DiscoverySync } from "./discovery-sync.ts";

const world = (...services: string[]): CatalogSnapshot => ({
  services: services.map((name) => ({ name, namespace: "default", ports: [{ port: 80, protocol: "http" as const }], labels: {} })),
  workloads: [],
  endpoints: services.map((name, i) => ({ service: name, namespace: "default", address: `10.0.0.${i + 1}`, port: 8080, protocol: "http" as const, ready: true })),
});

describe("DiscoverySync", () => {
  let catalog: Catalog;
  let reporter: InMemoryReporter;
  let sync: DiscoverySync;
  const logger = new MemoryLogger();

  beforeEach(() => {
    vi.useFakeTimers();
    catalog = new Catalog();
    reporter = new InMemoryReporter();
    sync = new DiscoverySync(catalog, reporter, { fullResyncMs: 60_000, retryMs: 1_000, debounceMs: 10, logger });
  });
  afterEach(async () => {
    await sync.stop();
    vi.useRealTimers();
  });

  it("sends a full snapshot first, then only what changed, coalescing bursts", async () => {
    catalog.replace(world("a"));
    await sync.start();
    expect(reporter.reports.map((r) => r.kind)).toEqual(["full"]);

    catalog.replace(world("a", "b"));
    catalog.replace(world("a", "b", "c"));
    await vi.advanceTimersByTimeAsync(20);
    expect(reporter.reports.map((r) => r.kind)).toEqual(["full", "delta"]);
    const delta = reporter.reports[1];
    expect(delta?.kind === "delta" && delta.delta.services.added.map((s) => s.name)).toEqual(["b", "c"]);
    expect(delta?.kind === "delta" && delta.baseSeq).toBe(1);
    expect(reporter.catalog).toEqual(catalog.snapshot);

    catalog.replace(world("c"));
    await vi.advanceTimersByTimeAsync(20);
    const removal = reporter.reports[2];
    expect(removal?.kind === "delta" && removal.delta.services.removed.map((s) => s.name)).toEqual(["a", "b"]);
    expect(reporter.catalog).toEqual(catalog.snapshot);
  });

  it("sends a periodic full resync even when nothing changed", async () => {
    catalog.replace(world("a"));
    await sync.start();
    await vi.advanceTimersByTimeAsync(60_000 * 2 + 5);
    expect(reporter.reports.map((r) => r.kind)).toEqual(["full", "full", "full"]);
    expect(reporter.reports.map((r) => r.seq)).toEqual([1, 2, 3]);
  });

  it("after a failed report, retries with a full snapshot that includes changes made meanwhile", async () => {
    catalog.replace(world("a"));
    await sync.start();
    reporter.failNext = 1;
    catalog.replace(world("a", "b"));
    await vi.advanceTimersByTimeAsync(20);
    expect(sync.status.lastError).toBe("manager unreachable");
    catalog.replace(world("a", "b", "c"));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(reporter.reports.map((r) => r.kind)).toEqual(["full", "full"]);
    expect(reporter.catalog).toEqual(catalog.snapshot);
    expect(sync.status.lastError).toBeUndefined();
  });

  it("answers a receiver that lost its state (delta refused) with a full snapshot", async () => {
    catalog.replace(world("a"));
    await sync.start();
    reporter.forget();
    catalog.replace(world("a", "b"));
    await vi.advanceTimersByTimeAsync(20);
    expect(sync.status.lastError).toMatch(/based on 1/);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(reporter.reports.at(-1)?.kind).toBe("full");
    expect(reporter.catalog).toEqual(catalog.snapshot);
  });
});
