// `weft check`'s decisions: a pure function from what the manager reports to
// ✔/‼/✘ lines, each naming what failed and why. The command only fetches.
import type { HealthReport } from "@weft/api";
import type { ManagerClient } from "../client.ts";

type ClusterView = Awaited<ReturnType<ManagerClient["clusters"]["list"]["query"]>>[number];
type Authorities = Awaited<ReturnType<ManagerClient["identity"]["authorities"]["query"]>>;
type Certificates = Awaited<ReturnType<ManagerClient["identity"]["certificates"]["query"]>>;

export type CheckStatus = "ok" | "warn" | "fail";

/** One line of `weft check`. */
export interface CheckResult {
  /** Group it is printed under. */
  group: "manager" | "identity" | "clusters" | "certificates";
  name: string;
  status: CheckStatus;
  /** What was found: the reason when it failed. */
  detail: string;
}

export interface CheckInputs {
  server: string;
  health: HealthReport;
  user: { username: string; role: string } | null;
  authorities: Authorities;
  clusters: readonly ClusterView[];
  /** The certificates that expire soonest (soonest first): any overdue one is among them. */
  expiring: Certificates;
  now: Date;
}

const ok = (group: CheckResult["group"], name: string, detail: string): CheckResult => ({ group, name, status: "ok", detail });
const fail = (group: CheckResult["group"], name: string, detail: string): CheckResult => ({ group, name, status: "fail", detail });

function clusterChecks(c: ClusterView): CheckResult[] {
  const out: CheckResult[] = [];
  const seen = c.lastSeenAt ? `last seen ${c.lastSeenAt.toISOString()}` : "never seen";
  if (c.status === "CONNECTED") out.push(ok("clusters", `cluster ${c.name} is connected`, `agent ${c.agentVersion ?? "?"}, ${seen}`));
  else if (c.status === "PENDING") out.push(fail("clusters", `cluster ${c.name} is connected`, `no agent has joined yet (join token ${c.joinTokenPending ? "outstanding" : "missing: create one"})`));
  else out.push(fail("clusters", `cluster ${c.name} is connected`, `its agent is disconnected (${seen})`));

  out.push(clockCheck(c));

  const { state, appliedConfigVersion, meshConfigVersion } = c.sync;
  if (state === "in-sync") out.push(ok("clusters", `cluster ${c.name} is in sync`, `config version ${meshConfigVersion} applied`));
  else if (state === "rejected") out.push(fail("clusters", `cluster ${c.name} is in sync`, `config version ${c.lastRejection?.version ?? meshConfigVersion} was rejected: ${c.lastRejection?.reason ?? "no reason given"}`));
  else if (state === "behind") out.push(fail("clusters", `cluster ${c.name} is in sync`, `applied config version ${appliedConfigVersion ?? "none"}, the mesh is at ${meshConfigVersion}`));
  else out.push(fail("clusters", `cluster ${c.name} is in sync`, "it has never applied a config"));

  const p = c.proxyCounts;
  const rejecting = c.lastRejection?.proxies ?? [];
  if (p.rejected > 0 || rejecting.length > 0) {
    const names = rejecting.map((r) => `${r.proxy}: ${r.reason}`).join("; ");
    out.push(fail("clusters", `cluster ${c.name}: proxies on the current config`, `${p.rejected || rejecting.length} of ${p.total} proxies reject config version ${c.lastRejection?.version ?? meshConfigVersion}${names ? ` (${names})` : ""}`));
  } else if (p.applied < p.total) out.push(fail("clusters", `cluster ${c.name}: proxies on the current config`, `${p.applied} of ${p.total} proxies run config version ${meshConfigVersion}`));
  else out.push(ok("clusters", `cluster ${c.name}: proxies on the current config`, `${p.applied} of ${p.total}`));
  return out;
}

function migrationCheck(m: NonNullable<HealthReport["database"]["migrations"]>): CheckResult {
  const name = "database migrations are applied";
  if (m.pending.length > 0) return fail("manager", name, `${m.pending.length} not applied: ${m.pending.join(", ")} (the manager applies them on start; run npm run db:migrate)`);
  if (m.unknown.length > 0) return fail("manager", name, `the database has migrations this manager does not ship: ${m.unknown.join(", ")} (a newer manager migrated it; upgrade this one)`);
  return ok("manager", name, `${m.applied} applied, latest ${m.latest ?? "-"}`);
}

/** Skew up to this is ✔; up to CLOCK_FAIL_MS ‼; beyond, ✘ (certificates and telemetry minutes go wrong). */
export const CLOCK_WARN_MS = 1_000;
export const CLOCK_FAIL_MS = 5_000;

function clockCheck(c: ClusterView): CheckResult {
  const name = `cluster ${c.name}: agent clock agrees with the manager's`;
  if (c.clockSkewMs === null) return { group: "clusters", name, status: "warn", detail: "the agent has not reported its clock (an older agent, or not joined)" };
  const skew = c.clockSkewMs;
  const detail = `${Math.abs(skew) < 1000 ? `${Math.abs(skew)} ms` : `${(Math.abs(skew) / 1000).toFixed(1)} s`} ${skew >= 0 ? "ahead of" : "behind"} the manager at the last heartbeat`;
  if (Math.abs(skew) <= CLOCK_WARN_MS) return ok("clusters", name, detail);
  const why = "; certificates it issues may not yet be valid elsewhere and its telemetry lands in the wrong minutes: sync its clock (NTP)";
  return { group: "clusters", name, status: Math.abs(skew) <= CLOCK_FAIL_MS ? "warn" : "fail", detail: `${detail}${why}` };
}

/** The manager's own checks: reachable (it answered), its database, the caller's token. */
export function managerChecks(input: Pick<CheckInputs, "server" | "health" | "user">): CheckResult[] {
  const { health } = input;
  const db = health.database;
  return [
    ok("manager", "manager is reachable", `${input.server}, version ${health.version}, up ${health.uptimeSeconds}s`),
    db.status === "up" ? ok("manager", "database is up", `${db.kind} ${db.target}${db.latencyMs !== undefined ? `, ${db.latencyMs} ms` : ""}`) : fail("manager", "database is up", `${db.kind} ${db.target}: ${db.error ?? "down"}`),
    ...(db.migrations ? [migrationCheck(db.migrations)] : []),
    input.user ? ok("manager", "the API token is accepted", `${input.user.username} (${input.user.role.toLowerCase()})`) : fail("manager", "the API token is accepted", "the manager did not accept the token: run weft login"),
  ];
}

/** Every check, in the order printed. */
export function evaluateChecks(input: CheckInputs): CheckResult[] {
  const out = managerChecks(input);

  const a = input.authorities;
  out.push(a.caKeyConfigured ? ok("identity", "the mesh CA key is configured", "the manager can sign cluster intermediates") : fail("identity", "the mesh CA key is configured", "the manager has no WEFT_CA_KEY: it cannot sign intermediates or rotate roots"));
  const active = a.authorities.filter((x) => x.state === "ACTIVE");
  out.push(active.length === 1 ? ok("identity", "the mesh has an active CA", active[0]!.subject) : fail("identity", "the mesh has an active CA", active.length === 0 ? "no ACTIVE authority" : `${active.length} ACTIVE authorities`));

  if (input.clusters.length === 0) out.push({ group: "clusters", name: "clusters have joined", status: "warn", detail: "no clusters yet" });
  for (const c of input.clusters) out.push(...clusterChecks(c));

  const due = input.expiring.items.filter((i) => !i.revoked && (i.expiryWarning || i.remainingHours <= 0));
  if (due.length === 0) out.push(ok("certificates", "certificates are renewed in time", `${input.expiring.total} certificate(s), none past its renewal point`));
  else {
    const first = due.slice(0, 3).map((i) => `${i.cluster}: ${i.spiffeId ?? i.subject} ${i.remainingHours <= 0 ? "expired" : `expires in ${Math.round(i.remainingHours)}h`}`);
    out.push(fail("certificates", "certificates are renewed in time", `${due.length} overdue for renewal: ${first.join("; ")}${due.length > 3 ? "; …" : ""}`));
  }
  return out;
}

const MARK: Record<CheckStatus, string> = { ok: "✔", warn: "‼", fail: "✘" };

/** The lines linkerd check users know: a heading per group, then ✔/‼/✘ name, with the reason under a failure. */
export function formatChecks(results: readonly CheckResult[]): string {
  const out: string[] = [];
  let group: string | undefined;
  for (const r of results) {
    if (r.group !== group) {
      if (group) out.push("");
      out.push(r.group, "-".repeat(r.group.length));
      group = r.group;
    }
    out.push(`${MARK[r.status]} ${r.name}`);
    if (r.status !== "ok") out.push(`    ${r.detail}`);
  }
  const failed = results.filter((r) => r.status === "fail").length;
  out.push("", failed === 0 ? "Status check results are ✔" : `Status check results are ✘ (${failed} failed)`);
  return `${out.join("\n")}\n`;
}
