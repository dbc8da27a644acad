import { describe, expect, it } from "vitest";
import { evaluateChecks, formatChecks, type CheckInputs } from "./check-rules.ts";

type Cluster = CheckInputs["clusters"][number];
const NOW = new Date("2026-06-01T12:00:00Z");

const cluster = (over: Partial<Cluster> = {}): Cluster =>
  ({
    id: "c1",
    name: "east",
    region: null,
    status: "CONNECTED",
    lastSeenAt: new Date("2026-06-01T11:59:50Z"),
    agentVersion: "0.1.0",
    clockSkewMs: 12,
    appliedConfigVersion: 7n,
    joinTokenExpiresAt: null,
    joinTokenPending: false,
    gateway: null,
    lastAckAt: NOW,
    proxyCounts: { total: 4, applied: 4, rejected: 0 },
    lastRejection: null,
    activeCredentials: 1,
    counts: { services: 3, workloads: 4, endpoints: 4 },
    createdAt: NOW,
    sync: { state: "in-sync", meshConfigVersion: 7n, appliedConfigVersion: 7n },
    ...over,
  }) as Cluster;

const inputs = (over: Partial<CheckInputs> = {}): CheckInputs => ({
  server: "http://manager:4000",
  health: { status: "ok", version: "0.1.0", uptimeSeconds: 60, database: { status: "up", kind: "external", target: "db:5432/weft", latencyMs: 2, migrations: { applied: 9, latest: "20261206_slo", pending: [], unknown: [] } } },
  user: { username: "ops", role: "VIEWER" },
  authorities: { caKeyConfigured: true, bundleVersion: "1", authorities: [{ state: "ACTIVE", subject: "CN=root" }], intermediates: [] } as unknown as CheckInputs["authorities"],
  clusters: [cluster()],
  expiring: { items: [], total: 9, warning: { fraction: 0.25 } },
  now: NOW,
  ...over,
});

const failures = (input: CheckInputs) => evaluateChecks(input).filter((r) => r.status !== "ok").map((r) => `${r.status} ${r.name}: ${r.detail}`);

describe("evaluateChecks", () => {
  it("passes a healthy mesh", () => {
    expect(failures(inputs())).toEqual([]);
  });

  it.each<[string, Partial<CheckInputs>, string]>([
    ["a database that is down", { health: { status: "degraded", version: "0.1.0", uptimeSeconds: 1, database: { status: "down", kind: "external", target: "db:5432/weft", error: "ECONNREFUSED" } } }, "fail database is up: external db:5432/weft: ECONNREFUSED"],
    [
      "a migration not applied",
      { health: { status: "ok", version: "0.1.0", uptimeSeconds: 1, database: { status: "up", kind: "external", target: "db", migrations: { applied: 8, latest: "a", pending: ["b_tickets"], unknown: [] } } } },
      "fail database migrations are applied: 1 not applied: b_tickets (the manager applies them on start; run npm run db:migrate)",
    ],
    [
      "a database a newer manager migrated",
      { health: { status: "ok", version: "0.1.0", uptimeSeconds: 1, database: { status: "up", kind: "external", target: "db", migrations: { applied: 10, latest: "z", pending: [], unknown: ["z_future"] } } } },
      "fail database migrations are applied: the database has migrations this manager does not ship: z_future (a newer manager migrated it; upgrade this one)",
    ],
    ["a rejected token", { user: null }, "fail the API token is accepted: the manager did not accept the token: run weft login"],
    ["no CA key", { authorities: { caKeyConfigured: false, authorities: [{ state: "ACTIVE", subject: "CN=root" }] } as unknown as CheckInputs["authorities"] }, "fail the mesh CA key is configured: the manager has no WEFT_CA_KEY: it cannot sign intermediates or rotate roots"],
    ["a disconnected cluster", { clusters: [cluster({ status: "DISCONNECTED" })] }, "fail cluster east is connected: its agent is disconnected (last seen 2026-06-01T11:59:50.000Z)"],
    ["a cluster nobody joined", { clusters: [cluster({ status: "PENDING", lastSeenAt: null, joinTokenPending: true })] }, "fail cluster east is connected: no agent has joined yet (join token outstanding)"],
    ["a cluster behind", { clusters: [cluster({ sync: { state: "behind", meshConfigVersion: 8n, appliedConfigVersion: 7n } })] }, "fail cluster east is in sync: applied config version 7, the mesh is at 8"],
    [
      "a proxy rejecting config",
      { clusters: [cluster({ proxyCounts: { total: 4, applied: 3, rejected: 1 }, sync: { state: "rejected", meshConfigVersion: 8n, appliedConfigVersion: 7n }, lastRejection: { version: 8n, reason: "1 proxy rejected", at: NOW, proxies: [{ proxy: "shop/catalog-v2", reason: "listener port 80 in use" }] } })] },
      "fail cluster east: proxies on the current config: 1 of 4 proxies reject config version 8 (shop/catalog-v2: listener port 80 in use)",
    ],
    ["no clusters", { clusters: [] }, "warn clusters have joined: no clusters yet"],
    ["a clock 2 s ahead", { clusters: [cluster({ clockSkewMs: 2_400 })] }, "warn cluster east: agent clock agrees with the manager's: 2.4 s ahead of the manager at the last heartbeat; certificates it issues may not yet be valid elsewhere and its telemetry lands in the wrong minutes: sync its clock (NTP)"],
    ["a clock a minute behind", { clusters: [cluster({ clockSkewMs: -61_000 })] }, "fail cluster east: agent clock agrees with the manager's: 61.0 s behind the manager at the last heartbeat; certificates it issues may not yet be valid elsewhere and its telemetry lands in the wrong minutes: sync its clock (NTP)"],
    ["an agent that never reported its clock", { clusters: [cluster({ clockSkewMs: null })] }, "warn cluster east: agent clock agrees with the manager's: the agent has not reported its clock (an older agent, or not joined)"],
    [
      "a certificate past its renewal point",
      { expiring: { items: [{ kind: "workload", cluster: "west", spiffeId: "spiffe://weft.local/ns/shop/sa/reviews", subject: "", issuer: null, serial: "1", notBefore: NOW, notAfter: NOW, rootFingerprint: "ab", revoked: false, remainingHours: 2.2, expiryWarning: true }], total: 1, warning: { fraction: 0.25 } } },
      "fail certificates are renewed in time: 1 overdue for renewal: west: spiffe://weft.local/ns/shop/sa/reviews expires in 2h",
    ],
  ])("names %s", (_name, over, expected) => {
    expect(failures(inputs(over))).toContain(expected);
  });

  it("prints ✔ and ✘ lines with the reason under each failure", () => {
    const text = formatChecks(evaluateChecks(inputs({ clusters: [cluster({ status: "DISCONNECTED" })] })));
    expect(text).toContain("✔ manager is reachable\n");
    expect(text).toContain("✘ cluster east is connected\n    its agent is disconnected");
    expect(text.trimEnd().split("\n").at(-1)).toBe("Status check results are ✘ (1 failed)");
  });
});
