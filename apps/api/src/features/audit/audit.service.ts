import type { AuditOutcome } from "@weft/db";
import { isAgent, type Caller } from "../../access.ts";
import type { Logger } from "../../logger.ts";
import type { AuditEventView, AuditQuery, AuditRepository } from "./audit.repository.ts";

export interface AuditRecord {
  /** The caller; null for anonymous callers. */
  actor: Caller | null;
  /** Overrides the actor's name (a failed login names the username tried). */
  actorName?: string;
  action: string;
  outcome: AuditOutcome;
  target?: string | undefined;
  namespace?: string | undefined;
  /** The cluster acted on (agents' actions). */
  cluster?: string | undefined;
  details?: Record<string, unknown>;
  ip?: string;
}

export interface AuditPage {
  events: AuditEventView[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextCursor: bigint | null;
}

export class AuditService {
  constructor(
    private readonly repo: AuditRepository,
    private readonly log: Logger,
  ) {}

  /** Writes an audit event. A failure to write is logged, never thrown: the action itself already happened. */
  async record(event: AuditRecord): Promise<void> {
    const actor = event.actor;
    const agent = isAgent(actor) ? actor : null;
    const user = isAgent(actor) ? null : actor;
    const actorType = agent ? "AGENT" : user ? (user.via === "token" ? "TOKEN" : "USER") : event.actorName === "system" ? "SYSTEM" : "USER";
    try {
      await this.repo.insert({
        actorType,
        actorId: agent?.credentialId ?? user?.userId ?? null,
        actorName: event.actorName ?? (agent ? `agent:${agent.cluster}` : user?.username) ?? "anonymous",
        action: event.action,
        target: event.target ?? null,
        namespace: event.namespace ?? null,
        cluster: event.cluster ?? agent?.cluster ?? null,
        outcome: event.outcome,
        details: { ...(user?.tokenId ? { tokenId: user.tokenId } : {}), ...event.details },
        ip: event.ip ?? null,
      });
    } catch (err) {
      this.log.error({ err, action: event.action }, "could not write audit event");
    }
  }

  async list(query: AuditQuery): Promise<AuditPage> {
    const events = await this.repo.list({ ...query, limit: query.limit + 1 });
    const page = events.slice(0, query.limit);
    return { events: page, nextCursor: events.length > query.limit ? (page[page.length - 1]?.id ?? null) : null };
  }
}
