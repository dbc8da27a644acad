import { describe, expect, it } from "vitest";
import { MemoryLogger } from "../logger.ts";
import type { ProxyAdminClient } from "../supervision/proxy-admin-client.ts";
import type { ProxySupervisor } from "../supervision/proxy-supervisor.ts";
import { UniversalFileSchema } from "../universal/universal-file.schema.ts";
import { ConfigApplier, type ApplyOutcome } from "./config-applier.ts";

const file = UniversalFileSchema.parse({
  services: [{ name: "reviews", instances: [{ name: "reviews-1", address: "127.0.0.1", port: 9081, version: "v1", proxy: { inboundPort: 16001, outboundPort: 16002, adminPort: 16003 } }] }],
});

/** A proxy process that takes `slowMs` to come up on the config it was started with (a loaded machine). */
function slowProxy(slowMs: number) {
  let started: { at: number; version: string } | undefined;
  const puts: string[] = [];
  const supervisor = {
    has: () => started !== undefined,
    sync: async (desired: ReadonlyMap<string, { version: string } | undefined>) => {
      const config = [...desired.values()][0];
      if (config && !started) started = { at: Date.now(), version: config.version };
    },
    status: () => [],
    persist: async () => {},
    takeAdopted: () => false,
  } as unknown as ProxySupervisor;
  const up = () => started !== undefined && Date.now() - started.at >= slowMs;
  const admin = {
    activeVersion: async () => (up() ? started!.version : undefined),
    put: async (_port: number, config: { version: string }) => {
      puts.push(config.version);
      return up() ? { ok: true, version: config.version } : { ok: false, status: 0, reason: "connection refused", activeVersion: null, precondition: false };
    },
  } as unknown as ProxyAdminClient;
  return { supervisor, admin, puts };
}

describe("the config applier", () => {
  it("reports a proxy that came up after its start timeout as applied, without a new config, and says so to the manager", async () => {
    const { supervisor, admin } = slowProxy(400);
    const retried: (ApplyOutcome | undefined)[] = [];
    const applier = new ConfigApplier({ cluster: "west", supervisor, admin, logger: new MemoryLogger(), startTimeoutMs: 100, retryMs: 200, onRetryOutcome: (o) => retried.push(o) });
    const first = await applier.setFile(file);
    expect(first).toMatchObject({ status: "rejected", proxies: [{ proxy: "default/reviews-1", status: "rejected" }] });
    const deadline = Date.now() + 10_000;
    while (applier.lastOutcome?.status !== "applied" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(applier.lastOutcome).toMatchObject({ status: "applied", proxies: [{ proxy: "default/reviews-1", status: "applied", version: first!.proxies[0]!.version }] });
    expect(retried.at(-1)).toMatchObject({ status: "applied" });
    // Applied: no more retries.
    const reconciles = applier.counters.compiles + applier.counters.compileSkips;
    await new Promise((r) => setTimeout(r, 600));
    expect(applier.counters.compiles + applier.counters.compileSkips).toBe(reconciles);
    applier.close();
  });

  it("does not retry a config a running proxy refused (only one nobody answered)", async () => {
    const supervisor = { has: () => true, sync: async () => {}, status: () => [], persist: async () => {}, takeAdopted: () => false } as unknown as ProxySupervisor;
    const admin = {
      activeVersion: async () => "c0",
      put: async () => ({ ok: false, status: 422, reason: "bad listener", activeVersion: "c0", precondition: false }),
    } as unknown as ProxyAdminClient;
    const applier = new ConfigApplier({ cluster: "west", supervisor, admin, logger: new MemoryLogger(), retryMs: 100 });
    expect(await applier.setFile(file)).toMatchObject({ status: "rejected" });
    const pushes = applier.counters.pushes;
    await new Promise((r) => setTimeout(r, 400));
    expect(applier.counters.pushes).toBe(pushes);
    applier.close();
  });
});
