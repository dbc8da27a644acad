import { describe, expect, it } from "vitest";
import { MemoryLogger } from "../logger.ts";
import type { ProxyAdminClient } from "../supervision/proxy-admin-client.ts";
import type { ProxySupervisor } from "../supervision/proxy-supervisor.ts";
import { UniversalFileSchema } from "../universal/universal-file.schema.ts";
import { ConfigApplier } from "../mesh-config/config-applier.ts";
import { GatewayApplier } from "./gateway-applier.ts";
import { GATEWAY_PROXY_ID } from "./gateway-inputs.ts";

const file = UniversalFileSchema.parse({
  gateway: { address: "127.0.0.1", port: 16443, adminPort: 16444 },
  services: [{ name: "reviews", instances: [{ address: "127.0.0.1", port: 9081, version: "v1", proxy: { inboundPort: 16001, outboundPort: 16002, adminPort: 16003 } }] }],
});

/** A gateway process that takes `slowMs` to come up on the config it was started with (a loaded machine). */
function slowGateway(slowMs: number) {
  let started: { at: number; version: string } | undefined;
  const supervisor = {
    has: () => started !== undefined,
    sync: async (desired: ReadonlyMap<string, { version: string } | undefined>) => {
      const config = [...desired.values()][0];
      started = config ? { at: Date.now(), version: config.version } : undefined;
    },
    status: () => [],
    persist: async () => {},
    takeAdopted: () => false,
    stop: async () => {},
  } as unknown as ProxySupervisor;
  const up = () => started !== undefined && Date.now() - started.at >= slowMs;
  const admin = {
    activeVersion: async () => (up() ? started!.version : undefined),
    put: async (_port: number, config: { version: string }) => (up() ? { ok: true, version: config.version } : { ok: false, status: 0, reason: "connection refused" }),
  } as unknown as ProxyAdminClient;
  return { supervisor, admin };
}

describe("the east-west gateway applier", () => {
  it("reports a gateway that came up after its start timeout as applied, without a new file", async () => {
    const { supervisor, admin } = slowGateway(400);
    const applier = new GatewayApplier({ cluster: "west", supervisor, admin, logger: new MemoryLogger(), startTimeoutMs: 100 });
    expect((await applier.setFile(file)).state).toBe("rejected");
    const deadline = Date.now() + 10_000;
    while (applier.status.state !== "applied" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(applier.status).toMatchObject({ state: "applied", routes: 2 });
    await applier.stop();
  });
});

describe("the east-west gateway's compile diagnostics", () => {
  const withTcp = UniversalFileSchema.parse({
    gateway: { address: "127.0.0.1", port: 16443, adminPort: 16444 },
    services: [
      { name: "reviews", instances: [{ name: "reviews-1", address: "127.0.0.1", port: 9081, version: "v1", proxy: { inboundPort: 16001, outboundPort: 16002, adminPort: 16003 } }] },
      // Callers do not originate mTLS for TCP: the gateway does not route it, and says so.
      { name: "ledger", protocol: "tcp", instances: [{ name: "ledger-1", address: "127.0.0.1", port: 9082, proxy: { inboundPort: 16011, outboundPort: 16012, adminPort: 16013 } }] },
    ],
  });

  it("are acknowledged with the proxies', reported by the gateway, and disappear when fixed", async () => {
    const { supervisor, admin } = slowGateway(0);
    const gateway = new GatewayApplier({ cluster: "west", supervisor, admin, logger: new MemoryLogger() });
    const proxies = { has: () => true, sync: async () => {}, status: () => [], persist: async () => {} } as unknown as ProxySupervisor;
    const proxyAdmin = { activeVersion: async () => undefined, put: async (_p: number, c: { version: string }) => ({ ok: true, version: c.version }) } as unknown as ProxyAdminClient;
    const applier = new ConfigApplier({
      cluster: "west",
      supervisor: proxies,
      admin: proxyAdmin,
      logger: new MemoryLogger(),
      otherDiagnostics: (f, c) => [{ proxy: GATEWAY_PROXY_ID, diagnostics: gateway.diagnosticsFor(f, c) }],
    });
    const outcome = await applier.setFile(withTcp);
    const fromGateway = (outcome?.diagnostics ?? []).filter((d) => d.proxies.includes(GATEWAY_PROXY_ID));
    expect(fromGateway.map((d) => [d.severity, d.code, d.service, d.proxies, d.proxyCount])).toEqual([["info", "unsupported_port", "default/ledger", [GATEWAY_PROXY_ID], 1]]);
    expect((await gateway.setFile(withTcp)).state).toBe("applied");
    // Without the TCP service the finding is gone from the next acknowledgement.
    const fixed = await applier.setFile(file);
    expect((fixed?.diagnostics ?? []).filter((d) => d.proxies.includes(GATEWAY_PROXY_ID))).toEqual([]);
    applier.close();
    await gateway.stop();
  });

  it("are empty without a gateway in the file", () => {
    const { supervisor, admin } = slowGateway(0);
    const gateway = new GatewayApplier({ cluster: "west", supervisor, admin, logger: new MemoryLogger() });
    expect(gateway.diagnosticsFor(UniversalFileSchema.parse({ services: withTcp.services }), undefined)).toEqual([]);
  });
});
