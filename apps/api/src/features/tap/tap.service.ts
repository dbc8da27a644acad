// weft tap: a live view of sampled requests to a service. The CLI opens a
// session; the agents of its clusters see it on their next agent.pending
// poll, read matching request summaries from their proxies' GET /tap and
// report them; the CLI reads them back while it keeps the session alive.
// Sessions and events live in PostgreSQL, so every manager replica serves
// both sides; they expire a minute after the CLI stops reading.
import type { TapFilter, TapReport } from "@weft/mesh-model";
import type { AgentPrincipal, Principal } from "../../access.ts";
import { notFound } from "../../errors.ts";
import type { TapRepository } from "./tap.repository.ts";

/** A session lives this long past the reader's last read. */
const SESSION_TTL_MS = 60_000;
/** Events are kept this long (readers poll every fraction of a second). */
const EVENT_TTL_MS = 5 * 60_000;
/** Most events one read returns. */
const READ_LIMIT = 500;

export interface TapStart {
  namespace: string;
  service: string;
  path?: string | undefined;
  method?: string | undefined;
  cluster?: string | undefined;
}

export class TapService {
  private lastPrune = 0;

  constructor(
    private readonly repo: TapRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async start(principal: Principal, input: TapStart): Promise<{ id: string; expiresAt: Date }> {
    await this.pruneNow();
    const row = await this.repo.create({
      namespace: input.namespace,
      service: input.service,
      path: input.path ?? null,
      method: input.method?.toUpperCase() ?? null,
      cluster: input.cluster ?? null,
      createdBy: principal.userId,
      expiresAt: new Date(this.now().getTime() + SESSION_TTL_MS),
    });
    return { id: row.id, expiresAt: row.expiresAt };
  }

  /** Events after `after`, and which clusters relay the tap; reading keeps the session open. Only its creator reads it. */
  async events(principal: Principal, id: string, after: bigint) {
    const session = await this.own(principal, id);
    await this.repo.extend(id, new Date(this.now().getTime() + SESSION_TTL_MS));
    const events = await this.repo.events(id, after, READ_LIMIT);
    return { attached: session.attached, events: events.map((e) => ({ id: e.id, cluster: e.cluster, ...e.event })) };
  }

  async stop(principal: Principal, id: string): Promise<void> {
    await this.own(principal, id);
    await this.repo.remove(id);
  }

  /** The open taps the agent of `agent`'s cluster relays. */
  async pendingFor(agent: AgentPrincipal): Promise<TapFilter[]> {
    return this.repo.active(agent.cluster, this.now());
  }

  /** Stores what an agent relayed, for sessions that are open and apply to its cluster; returns how many it kept. */
  async report(agent: AgentPrincipal, report: TapReport): Promise<{ accepted: number }> {
    const open = new Set((await this.repo.active(agent.cluster, this.now())).map((t) => t.id));
    await this.repo.attach(
      report.attached.filter((id) => open.has(id)),
      agent.cluster,
    );
    const events = report.events.filter((e) => open.has(e.tap)).map((e) => ({ sessionId: e.tap, cluster: agent.cluster, event: e.event }));
    await this.repo.addEvents(events);
    return { accepted: events.length };
  }

  private async own(principal: Principal, id: string) {
    const session = await this.repo.get(id);
    // Someone else's tap does not exist for this caller.
    if (!session || session.createdBy !== principal.userId) throw notFound(`tap ${id}`, "id");
    return session;
  }

  private async pruneNow(): Promise<void> {
    if (Date.now() - this.lastPrune < 60_000) return;
    this.lastPrune = Date.now();
    const now = this.now();
    await this.repo.prune(now, new Date(now.getTime() - EVENT_TTL_MS));
  }
}
