import { formatBurnRate, ValidationError, issuesFromZod } from "@weft/mesh-model";
import type { Principal } from "../../access.ts";
import { conflict, notFound } from "../../errors.ts";
import type { TransactionRepositories, UnitOfWork } from "../../unit-of-work.ts";
import type { Audited } from "../audit/audit-facts.ts";
import { AlertmanagerPayloadSchema, type AlertmanagerAlert } from "./alertmanager-payload.ts";
import type { TicketContext, TicketContextBuilder, TicketSlo } from "./ticket-context.ts";
import type { TicketCommentRecord, TicketFilter, TicketRecord, TicketsRepository, TicketStatus } from "./tickets.repository.ts";

/** A ticket to open, or to comment on when one is already open for its key. */
export interface FireRequest {
  dedupKey: string;
  source: "slo" | "alertmanager";
  severity: string;
  title: string;
  namespace: string | null;
  service: string | null;
  sloResourceId: string | null;
  at: Date;
  /** Why it fired now (the comment on a re-fire). */
  reason: string;
  /** The context snapshot, built only when a ticket is opened. */
  context: (tx: TransactionRepositories) => Promise<TicketContext>;
}

export interface TicketView extends TicketRecord {
  comments: TicketCommentRecord[];
}

const SYSTEM = "weft";

/**
 * Weft's tickets: opened by firing alerts (one open ticket per alert key;
 * a re-fire comments, and reopens a resolved one), resolved by recovery,
 * and worked by people (acknowledge, assign, comment, close).
 */
export class TicketsService {
  constructor(
    private readonly repo: TicketsRepository,
    private readonly uow: UnitOfWork,
    private readonly contexts: TicketContextBuilder,
    private readonly now: () => Date,
  ) {}

  /** Opens or re-fires, inside the caller's unit of work. */
  async fireIn(tx: TransactionRepositories, request: FireRequest): Promise<{ ticket: TicketRecord; opened: boolean }> {
    const open = await tx.tickets.openFor(request.dedupKey);
    if (!open) {
      const ticket = await tx.tickets.create({
        dedupKey: request.dedupKey,
        source: request.source,
        severity: request.severity,
        title: request.title,
        namespace: request.namespace,
        service: request.service,
        sloResourceId: request.sloResourceId,
        context: (await request.context(tx)) as unknown as Record<string, unknown>,
        openedAt: request.at,
      });
      await tx.tickets.addComment(ticket.id, { at: request.at, kind: "fired", authorName: SYSTEM, authorId: null, body: request.reason });
      return { ticket, opened: true };
    }
    const reopened = open.status === "RESOLVED";
    const ticket = await tx.tickets.update(open.id, { fireCount: open.fireCount + 1, lastFiredAt: request.at, ...(reopened ? { status: "OPEN", resolvedAt: null } : {}) });
    await tx.tickets.addComment(open.id, { at: request.at, kind: reopened ? "reopened" : "fired", authorName: SYSTEM, authorId: null, body: `${reopened ? "Fired again after it had recovered" : "Fired again"}: ${request.reason}` });
    return { ticket, opened: false };
  }

  /** Recovery: resolves the open ticket of the key (if any, and not already resolved), inside the caller's unit of work. */
  async resolveIn(tx: TransactionRepositories, dedupKey: string, at: Date, reason: string): Promise<TicketRecord | null> {
    const open = await tx.tickets.openFor(dedupKey);
    if (!open || open.status === "RESOLVED") return null;
    const ticket = await tx.tickets.update(open.id, { status: "RESOLVED", resolvedAt: at });
    await tx.tickets.addComment(open.id, { at, kind: "resolved", authorName: SYSTEM, authorId: null, body: `Recovered: ${reason}` });
    return ticket;
  }

  list(filter: TicketFilter): Promise<TicketRecord[]> {
    return this.repo.list(filter);
  }

  async get(ref: { id?: string | undefined; number?: number | undefined }): Promise<TicketView> {
    const ticket = ref.id ? await this.repo.byId(ref.id) : ref.number !== undefined ? await this.repo.byNumber(ref.number) : null;
    if (!ticket) throw notFound(`ticket ${ref.id ?? `#${ref.number}`}`, ref.id ? "id" : "number");
    return { ...ticket, comments: await this.repo.comments(ticket.id) };
  }

  private async change(principal: Principal, id: string, what: string, work: (tx: TransactionRepositories, ticket: TicketRecord, at: Date) => Promise<TicketRecord>): Promise<Audited<TicketRecord>> {
    const at = this.now();
    const ticket = await this.uow.run(async (tx) => {
      const current = await tx.tickets.byId(id);
      if (!current) throw notFound(`ticket ${id}`, "id");
      if (current.status === "CLOSED" && what !== "comment") throw conflict(`ticket #${current.number} is closed`, "id");
      return work(tx, current, at);
    });
    return { value: ticket, audit: { target: `Ticket/${ticket.number}`, namespace: ticket.namespace ?? undefined, details: { action: what } } };
  }

  acknowledge(principal: Principal, id: string): Promise<Audited<TicketRecord>> {
    return this.change(principal, id, "acknowledge", async (tx, t, at) => {
      await tx.tickets.addComment(t.id, { at, kind: "acknowledged", authorName: principal.username, authorId: principal.userId, body: `${principal.username} acknowledged it` });
      return tx.tickets.update(t.id, { status: t.status === "OPEN" ? "ACKNOWLEDGED" : t.status, acknowledgedAt: at, acknowledgedBy: principal.username });
    });
  }

  assign(principal: Principal, id: string, assignee: string | null): Promise<Audited<TicketRecord>> {
    return this.change(principal, id, "assign", async (tx, t, at) => {
      await tx.tickets.addComment(t.id, { at, kind: "assigned", authorName: principal.username, authorId: principal.userId, body: assignee ? `assigned to ${assignee}` : "unassigned" });
      return tx.tickets.update(t.id, { assignee });
    });
  }

  comment(principal: Principal, id: string, body: string): Promise<Audited<TicketRecord>> {
    return this.change(principal, id, "comment", async (tx, t, at) => {
      await tx.tickets.addComment(t.id, { at, kind: "comment", authorName: principal.username, authorId: principal.userId, body });
      return t;
    });
  }

  close(principal: Principal, id: string, body: string): Promise<Audited<TicketRecord>> {
    return this.change(principal, id, "close", async (tx, t, at) => {
      await tx.tickets.addComment(t.id, { at, kind: "closed", authorName: principal.username, authorId: principal.userId, body: body || `${principal.username} closed it` });
      return tx.tickets.update(t.id, { status: "CLOSED", closedAt: at, closedBy: principal.username });
    });
  }

  /**
   * Alertmanager's webhook (payload version 4): firing alerts open or
   * re-fire a ticket per alert fingerprint, resolved alerts resolve it.
   * Alertmanager sends a still-firing alert again at every repeat interval
   * and whenever its group changes: the same fingerprint and `startsAt` on
   * a ticket that has not resolved is that same firing (ignored); a new
   * `startsAt`, or a firing after the ticket resolved, is a re-fire. The
   * whole payload is validated first and stored in one unit of work:
   * nothing is half-stored. Alerts from Weft's exported rules (label
   * `weft_slo`) are tied to their SLO and carry its context.
   */
  async ingestAlertmanager(body: unknown, slos: SloLookup): Promise<Audited<{ opened: number; refired: number; resolved: number; ignored: number }>> {
    const parsed = AlertmanagerPayloadSchema.safeParse(body, { reportInput: true });
    if (!parsed.success) throw new ValidationError("INVALID_REPORT", issuesFromZod(parsed.error.issues));
    const counts = { opened: 0, refired: 0, resolved: 0, ignored: 0 };
    const at = this.now();
    await this.uow.run(async (tx) => {
      for (const alert of parsed.data.alerts) {
        const dedupKey = `alertmanager:${alert.fingerprint}`;
        if (alert.status === "resolved") {
          if (await this.resolveIn(tx, dedupKey, at, `Alertmanager reports ${alert.labels.alertname} resolved (${alert.endsAt})`)) counts.resolved++;
          else counts.ignored++;
          continue;
        }
        const open = await tx.tickets.openFor(dedupKey);
        if (open && open.status !== "RESOLVED" && firingSince(open) === alert.startsAt) {
          counts.ignored++;
          continue;
        }
        const slo = alert.labels.weft_slo ? await slos.find(tx, alert.labels.weft_slo) : null;
        const result = await this.fireIn(tx, fireRequestOf(alert, dedupKey, at, slo, parsed.data.externalURL, this.contexts));
        if (result.opened) counts.opened++;
        else {
          counts.refired++;
          // The firing this ticket now follows: its repeats are not re-fires.
          await tx.tickets.update(result.ticket.id, { context: { ...result.ticket.context, alertmanager: { ...alertmanagerContext(result.ticket), startsAt: alert.startsAt } } });
        }
      }
    });
    return { value: counts, audit: { target: `Alertmanager/${parsed.data.receiver}`, details: { groupKey: parsed.data.groupKey, status: parsed.data.status, alerts: parsed.data.alerts.length, ...counts } } };
  }
}

/** What the ticket keeps of the Alertmanager alert it follows (labels, annotations, the current firing's startsAt). */
function alertmanagerContext(ticket: Pick<TicketRecord, "context">): Record<string, unknown> {
  const context = ticket.context.alertmanager;
  return context && typeof context === "object" ? (context as Record<string, unknown>) : {};
}

/** The `startsAt` of the firing an Alertmanager ticket follows (null when unknown). */
function firingSince(ticket: Pick<TicketRecord, "context">): string | null {
  const startsAt = alertmanagerContext(ticket).startsAt;
  return typeof startsAt === "string" ? startsAt : null;
}

/** Finds the SLO an alert names (`weft_slo="namespace/name"`), with what a ticket shows of it. */
export interface SloLookup {
  find(tx: TransactionRepositories, key: string): Promise<{ resourceId: string; service: { namespace: string; name: string }; context: TicketSlo; links: { label: string; url: string }[] } | null>;
}

function fireRequestOf(alert: AlertmanagerAlert, dedupKey: string, at: Date, slo: Awaited<ReturnType<SloLookup["find"]>>, externalURL: string, contexts: TicketContextBuilder): FireRequest {
  const severity = alert.labels.severity === "page" || alert.labels.severity === "critical" ? "page" : "ticket";
  const service = slo?.service ?? null;
  const links = [...(slo?.links ?? []), ...(alert.generatorURL ? [{ label: "Prometheus", url: alert.generatorURL }] : []), ...(externalURL ? [{ label: "Alertmanager", url: externalURL }] : [])];
  const window = alert.labels.weft_window ? ` over ${alert.labels.weft_window}` : "";
  return {
    dedupKey,
    source: "alertmanager",
    severity,
    title: alert.annotations.summary ?? `${alert.labels.alertname}${slo ? ` (${alert.labels.weft_slo}${window})` : ""}`,
    namespace: service?.namespace ?? alert.labels.namespace ?? null,
    service: service?.name ?? null,
    sloResourceId: slo?.resourceId ?? null,
    at,
    reason: `Alertmanager: ${alert.labels.alertname} firing since ${alert.startsAt}${alert.annotations.description ? ` — ${alert.annotations.description}` : ""}`,
    context: async (tx) => ({
      ...(await contexts.build(tx, { at, service, slo: slo?.context ?? null, lookbackMs: 3_600_000, links })),
      alertmanager: { labels: alert.labels, annotations: alert.annotations, generatorURL: alert.generatorURL, startsAt: alert.startsAt },
    }),
  };
}

/** A ticket title for an SLO alert: which SLO, which window pair, how fast. */
export function sloTicketTitle(slo: { namespace: string; name: string }, scope: string, pair: string, longBurn: number | null, threshold: number): string {
  return `${slo.namespace}/${slo.name}${scope ? ` in ${scope}` : ""}: burning ${longBurn === null ? "?" : formatBurnRate(longBurn)}× over ${pair} (threshold ${formatBurnRate(threshold)}×)`;
}

export type { TicketStatus };
