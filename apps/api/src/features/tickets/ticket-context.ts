// The context a ticket carries from the moment it opens, so on-call does not
// have to reconstruct it: the SLO's numbers at breach time, the service's
// callers and callees with their error rates, the changes that preceded the
// breach (who changed what, with a link to the diff), running rollouts on
// the service, a few failing traces, and the runbook and dashboard links.
// Read inside the caller's unit of work (the evaluator's step), from the
// stored rollups, revisions and spans.
import { summarizeTraffic } from "@weft/mesh-model";
import { dashboardLink } from "../../dashboard-link.ts";
import type { TransactionRepositories } from "../../unit-of-work.ts";

export interface Neighbour {
  namespace: string;
  service: string;
  requests: number;
  errors: number;
  errorPercent: number;
}

export interface TicketChange {
  kind: string;
  namespace: string;
  name: string;
  revision: number;
  action: string;
  author: string;
  at: string;
  message: string;
  /** The diff in the dashboard (the policy editor's history of that revision). */
  link: string;
}

export interface TicketExemplar {
  traceId: string;
  at: string;
  service: string;
  name: string;
  statusCode: number | null;
  durationMs: number;
  link: string;
}

export interface TicketRollouts {
  /** False while this manager has no rollouts (see RolloutLookup). */
  available: boolean;
  note: string;
  items: { namespace: string; name: string; revision: number; step: string; phase: string }[];
}

export interface TicketSlo {
  namespace: string;
  name: string;
  objective: number;
  window: string;
  indicator: string;
  sli: number | null;
  budgetRemaining: number | null;
  burnRates: Record<string, number | null>;
  exhaustsAt: string | null;
  alert: { pair: string; severity: string; longWindow: string; shortWindow: string; longBurn: number | null; shortBurn: number | null; threshold: number } | null;
}

/** The snapshot stored with a ticket (JSON). */
export interface TicketContext {
  capturedAt: string;
  service: { namespace: string; name: string } | null;
  slo: TicketSlo | null;
  neighbourhood: { from: string; to: string; self: Neighbour | null; callers: Neighbour[]; callees: Neighbour[] } | null;
  changes: TicketChange[];
  rollouts: TicketRollouts;
  exemplars: TicketExemplar[];
  links: { label: string; url: string }[];
  /** For tickets from Alertmanager: the alert as it arrived. */
  alertmanager?: { labels: Record<string, string>; annotations: Record<string, string>; generatorURL: string; startsAt: string };
}

/** Running rollouts on a service (the rollout feature may supply its own; the default reads the active RolloutRun). */
export interface RolloutLookup {
  runningOn(tx: TransactionRepositories, service: { namespace: string; name: string }): Promise<TicketRollouts>;
}

/** The run the rollout controller keeps active on the service, if any. */
export const ACTIVE_ROLLOUT_LOOKUP: RolloutLookup = {
  runningOn: async (tx, service) => {
    const run = await tx.tickets.activeRollout(service.namespace, service.name);
    return { available: true, note: run ? "a rollout was running on the service" : "no rollout was running on the service", items: run ? [run] : [] };
  },
};

const NEIGHBOURHOOD_MS = 60 * 60_000;

export interface ContextRequest {
  at: Date;
  service: { namespace: string; name: string } | null;
  slo: TicketSlo | null;
  /** How far before the breach changes count (the alert's long window, 1 h to 7 d). */
  lookbackMs: number;
  links: { label: string; url: string }[];
}

export class TicketContextBuilder {
  constructor(
    private readonly dashboardUrl: string,
    private readonly rollouts: RolloutLookup = ACTIVE_ROLLOUT_LOOKUP,
  ) {}

  private url(path: string, params: Record<string, string>): string {
    return dashboardLink(this.dashboardUrl, path, params);
  }

  async build(tx: TransactionRepositories, request: ContextRequest): Promise<TicketContext> {
    const { at, service } = request;
    const neighbourhood = service ? await this.neighbourhood(tx, service, at) : null;
    const touched = service ? [service, ...(neighbourhood?.callers ?? []).map((n) => ({ namespace: n.namespace, name: n.service })), ...(neighbourhood?.callees ?? []).map((n) => ({ namespace: n.namespace, name: n.service }))] : [];
    return {
      capturedAt: at.toISOString(),
      service,
      slo: request.slo,
      neighbourhood,
      changes: await this.changes(tx, touched, at, Math.min(7 * 86_400_000, Math.max(3_600_000, request.lookbackMs))),
      rollouts: service ? await this.rollouts.runningOn(tx, service) : { available: false, note: "no service", items: [] },
      exemplars: service ? await this.exemplars(tx, service, at) : [],
      links: request.links,
    };
  }

  /** Callers and callees of the service over the hour before the breach, as the rollups saw them. */
  private async neighbourhood(tx: TransactionRepositories, service: { namespace: string; name: string }, at: Date): Promise<TicketContext["neighbourhood"]> {
    const from = new Date(at.getTime() - NEIGHBOURHOOD_MS);
    const inbound = await tx.telemetry.rows({ from, to: at, destination: service });
    const all = await tx.telemetry.rows({ from, to: at, namespace: service.namespace });
    const outbound = all.filter((r) => r.source.namespace === service.namespace && r.source.service === service.name);
    const group = (rows: typeof inbound, end: "source" | "destination"): Neighbour[] => {
      const by = new Map<string, typeof inbound>();
      for (const r of rows) {
        const key = `${r[end].namespace}/${r[end].service}`;
        by.set(key, [...(by.get(key) ?? []), r]);
      }
      return [...by.values()]
        .map((list) => {
          const first = list[0]![end];
          const stats = summarizeTraffic(list.map((r) => ({ minute: r.minute.getTime(), requests: r.requests, errors: r.errors, latency: r.latency })), NEIGHBOURHOOD_MS / 1000);
          return { namespace: first.namespace, service: first.service, requests: stats.requests, errors: stats.errors, errorPercent: Number(stats.errorPercent.toFixed(2)) };
        })
        .sort((a, b) => b.requests - a.requests)
        .slice(0, 12);
    };
    const callers = group(inbound, "source");
    const self = callers.length ? callers.reduce((acc, c) => ({ ...acc, requests: acc.requests + c.requests, errors: acc.errors + c.errors }), { namespace: service.namespace, service: service.name, requests: 0, errors: 0, errorPercent: 0 }) : null;
    if (self) self.errorPercent = self.requests > 0 ? Number(((self.errors / self.requests) * 100).toFixed(2)) : 0;
    return { from: from.toISOString(), to: at.toISOString(), self, callers, callees: group(outbound, "destination") };
  }

  /** Revisions of resources that refer to the service or its neighbours, in the lookback before the breach, latest first. */
  private async changes(tx: TransactionRepositories, services: readonly { namespace: string; name: string }[], at: Date, lookbackMs: number): Promise<TicketChange[]> {
    const mesh = await tx.mesh.get();
    if (!mesh || services.length === 0) return [];
    const seen = new Set<string>();
    const out: TicketChange[] = [];
    for (const s of services) {
      for (const r of await tx.resources.serviceHistory(mesh.id, s.namespace, s.name, { limit: 20 })) {
        const key = `${r.kind}/${r.namespace}/${r.name}#${r.revision}`;
        // SLOs refer to their service but do not change its traffic: not a suspect.
        if (r.kind === "ServiceLevelObjective" || seen.has(key) || r.createdAt > at || r.createdAt.getTime() < at.getTime() - lookbackMs) continue;
        seen.add(key);
        out.push({
          kind: r.kind,
          namespace: r.namespace,
          name: r.name,
          revision: r.revision,
          action: r.action,
          author: r.authorName,
          at: r.createdAt.toISOString(),
          message: r.message,
          link: this.url("/policies/edit", { kind: r.kind, namespace: r.namespace || "default", name: r.name, revision: String(r.revision) }),
        });
      }
    }
    return out.sort((a, b) => Date.parse(b.at) - Date.parse(a.at)).slice(0, 20);
  }

  /** Up to 5 failing traces through the service, the latest before the breach. */
  private async exemplars(tx: TransactionRepositories, service: { namespace: string; name: string }, at: Date): Promise<TicketExemplar[]> {
    const ids = await tx.spans.recentTraceIds({ namespace: service.namespace, service: service.name, from: new Date(at.getTime() - 24 * 3_600_000), to: new Date(at.getTime() + 1), limit: 5, errorsOnly: true });
    if (ids.length === 0) return [];
    const spans = await tx.spans.spansOf(ids);
    return ids.map((traceId) => {
      const own = spans.filter((s) => s.traceId === traceId);
      const failing = own.find((s) => s.statusCode === 0 || (s.statusCode ?? 0) >= 500) ?? own[0];
      return {
        traceId,
        at: (failing?.startTime ?? at).toISOString(),
        service: failing ? `${failing.namespace}/${failing.service}` : `${service.namespace}/${service.name}`,
        name: failing?.name ?? "",
        statusCode: failing?.statusCode ?? null,
        durationMs: failing?.durationMs ?? 0,
        link: this.url("/services/detail", { service: `${service.namespace}/${service.name}`, trace: traceId }),
      };
    });
  }
}
