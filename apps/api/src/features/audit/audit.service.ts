import { isAgent, type Caller } from "../../access.ts";
import type { Logger } from "../../logger.ts";
import type { AuditOutcome } from "./audit-facts.ts";
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

/** How many anonymous refusals are audited one by one. */
export interface AuditSettings {
  /** Anonymous refusals written per client address and window; the rest are counted into one summary event. */
  anonymousRefusalsPerWindow: number;
  windowMs: number;
}

export const DEFAULT_AUDIT_SETTINGS: AuditSettings = { anonymousRefusalsPerWindow: 20, windowMs: 60_000 };

/** The action of the summary event that counts anonymous refusals not written one by one. */
export const SUPPRESSED_REFUSALS_ACTION = "audit.refusalsSuppressed";

interface RefusalWindow {
  start: number;
  written: number;
  suppressed: number;
  actions: Set<string>;
  timer?: NodeJS.Timeout;
}

/** At most this many client addresses are tracked; beyond it they share one window (and one summary). */
const MAX_TRACKED_ADDRESSES = 10_000;

export class AuditService {
  private readonly refusals = new Map<string, RefusalWindow>();

  constructor(
    private readonly repo: AuditRepository,
    private readonly log: Logger,
    private readonly settings: AuditSettings = DEFAULT_AUDIT_SETTINGS,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Writes an audit event. A failure to write is logged, never thrown: the
   * action itself already happened. Refusals of anonymous callers cost them
   * nothing to send, so per client address only the first
   * `anonymousRefusalsPerWindow` of a window are written one by one; the rest
   * become one `audit.refusalsSuppressed` event with their count when the
   * window ends.
   */
  async record(event: AuditRecord): Promise<void> {
    if (event.actor === null && event.actorName === undefined && event.outcome === "DENIED" && !this.admitAnonymousRefusal(event.ip ?? "unknown", event.action)) return;
    await this.write(event);
  }

  /** Writes the summaries of windows still open (at shutdown). */
  async close(): Promise<void> {
    const open = [...this.refusals.entries()];
    this.refusals.clear();
    await Promise.all(open.map(([ip, w]) => this.summarize(ip, w)));
  }

  private admitAnonymousRefusal(ip: string, action: string): boolean {
    const now = this.now();
    let key = ip;
    if (!this.refusals.has(key) && this.refusals.size >= MAX_TRACKED_ADDRESSES) key = "*";
    let window = this.refusals.get(key);
    if (window && now - window.start >= this.settings.windowMs && window.suppressed === 0) {
      this.refusals.delete(key);
      window = undefined;
    }
    if (!window) {
      window = { start: now, written: 0, suppressed: 0, actions: new Set() };
      this.refusals.set(key, window);
    }
    if (window.written < this.settings.anonymousRefusalsPerWindow) {
      window.written++;
      return true;
    }
    window.suppressed++;
    window.actions.add(action);
    if (!window.timer) {
      const open = window;
      open.timer = setTimeout(() => {
        if (this.refusals.get(key) === open) this.refusals.delete(key);
        void this.summarize(key, open);
      }, Math.max(0, open.start + this.settings.windowMs - now));
      open.timer.unref();
    }
    return false;
  }

  private async summarize(ip: string, window: RefusalWindow): Promise<void> {
    clearTimeout(window.timer);
    if (window.suppressed === 0) return;
    const count = window.suppressed;
    window.suppressed = 0;
    await this.write({
      actor: null,
      action: SUPPRESSED_REFUSALS_ACTION,
      outcome: "DENIED",
      details: { suppressed: count, actions: [...window.actions].sort(), from: new Date(window.start).toISOString(), to: new Date(window.start + this.settings.windowMs).toISOString() },
      ...(ip !== "*" ? { ip } : {}),
    });
  }

  private async write(event: AuditRecord): Promise<void> {
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
