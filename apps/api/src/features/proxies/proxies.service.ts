// weft proxy-status and weft proxy-config: the manager asks the cluster's
// agent (which polls agent.pending) and waits for its answer, so what is shown
// is what the proxies run now, not what the manager last heard.
import { redactSecrets, type AgentQuery, type AgentQueryKind, type ProxyStatus, type QueryAnswer } from "@weft/mesh-model";
import type { AgentPrincipal } from "../../access.ts";
import { invalid, notFound } from "../../errors.ts";
import type { MeshInfo } from "../mesh/mesh.repository.ts";
import type { AgentQueriesRepository } from "./agent-queries.repository.ts";

export interface ProxiesSettings {
  /** How long a question waits for the agent's answer. */
  answerTimeoutMs: number;
  /** How often the asking replica looks for the answer. */
  pollMs: number;
}

export const DEFAULT_PROXIES_SETTINGS: ProxiesSettings = { answerTimeoutMs: 10_000, pollMs: 100 };

/** One cluster's proxies as its agent reported them, or why it did not. */
export interface ClusterProxies {
  cluster: string;
  proxies: ProxyStatus[];
  error: string | null;
}

export class ProxiesService {
  private lastPrune = 0;

  constructor(
    private readonly repo: AgentQueriesRepository,
    private readonly mesh: () => Promise<MeshInfo>,
    private readonly settings: ProxiesSettings = DEFAULT_PROXIES_SETTINGS,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Every proxy of every cluster (or of `cluster`): state and the config version it runs. */
  async status(cluster: string | undefined): Promise<{ meshConfigVersion: bigint; clusters: ClusterProxies[] }> {
    const mesh = await this.mesh();
    const targets = (await this.repo.clusters(mesh.id)).filter((c) => cluster === undefined || c.name === cluster);
    if (cluster !== undefined && targets.length === 0) throw notFound(`cluster ${cluster}`, "cluster");
    const clusters = await Promise.all(
      targets.map(async (c): Promise<ClusterProxies> => {
        const answer = await this.ask(c.id, c.name, "proxy-status", null);
        const proxies = answer.ok ? [...((answer.result as { statuses?: ProxyStatus[] }).statuses ?? [])].sort((a, b) => a.proxy.localeCompare(b.proxy)) : [];
        return { cluster: c.name, proxies, error: answer.ok ? null : answer.error };
      }),
    );
    return { meshConfigVersion: mesh.configVersion, clusters };
  }

  /** The config one proxy runs (listeners, routes, backends), secrets redacted. */
  async config(cluster: string, proxy: string): Promise<{ cluster: string; proxy: string; version: string | null; config: unknown }> {
    const target = (await this.repo.clusters((await this.mesh()).id)).find((c) => c.name === cluster);
    if (!target) throw notFound(`cluster ${cluster}`, "cluster");
    const answer = await this.ask(target.id, cluster, "proxy-config", proxy);
    if (!answer.ok) throw /unknown proxy/.test(answer.error) ? notFound(`proxy ${proxy} in cluster ${cluster}`, "workload") : invalid(answer.error, "workload");
    const dump = answer.result as { config?: { version?: string; config?: unknown } };
    return { cluster, proxy, version: dump.config?.version ?? null, config: redactSecrets(dump.config?.config ?? null) };
  }

  /** The queries an agent should answer now. */
  async pending(agent: AgentPrincipal): Promise<AgentQuery[]> {
    return this.repo.pending(agent.clusterId, new Date(this.now().getTime() - this.settings.answerTimeoutMs));
  }

  async answer(agent: AgentPrincipal, answer: QueryAnswer): Promise<{ ok: boolean }> {
    const result = answer.error !== undefined ? undefined : answer.statuses !== undefined ? { statuses: answer.statuses } : { config: redactSecrets(answer.config ?? null) };
    return { ok: await this.repo.answer(answer.id, agent.clusterId, { result, error: answer.error }, this.now()) };
  }

  private async ask(clusterId: string, cluster: string, kind: AgentQueryKind, proxy: string | null): Promise<{ ok: true; result: unknown } | { ok: false; error: string }> {
    await this.pruneNow();
    const id = await this.repo.create(clusterId, kind, proxy);
    const deadline = Date.now() + this.settings.answerTimeoutMs;
    try {
      while (Date.now() < deadline) {
        const row = await this.repo.get(id);
        if (row?.answeredAt) return row.error !== null ? { ok: false, error: row.error } : { ok: true, result: row.result };
        await new Promise((r) => setTimeout(r, this.settings.pollMs));
      }
      return { ok: false, error: `the agent of cluster ${cluster} did not answer within ${this.settings.answerTimeoutMs / 1000} s (is it connected?)` };
    } finally {
      await this.repo.remove([id]);
    }
  }

  private async pruneNow(): Promise<void> {
    if (Date.now() - this.lastPrune < 60_000) return;
    this.lastPrune = Date.now();
    await this.repo.prune(new Date(this.now().getTime() - 10 * 60_000));
  }
}
