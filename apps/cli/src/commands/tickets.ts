import type { TicketRecord } from "@weft/api";
import { outputOf, UsageError, type RegisterCommand } from "../context.ts";
import { renderDocument, renderList, type Column } from "../output/render.ts";

const COLUMNS: Column<TicketRecord>[] = [
  { header: "#", value: (t) => String(t.number) },
  { header: "STATUS", value: (t) => t.status.toLowerCase() },
  { header: "SEVERITY", value: (t) => t.severity },
  { header: "SERVICE", value: (t) => (t.namespace && t.service ? `${t.namespace}/${t.service}` : (t.namespace ?? "-")) },
  { header: "OPENED", value: (t) => t.openedAt.toISOString() },
  { header: "FIRED", value: (t) => String(t.fireCount) },
  { header: "ASSIGNEE", value: (t) => t.assignee ?? "-", wide: true },
  { header: "SOURCE", value: (t) => t.source, wide: true },
  { header: "TITLE", value: (t) => t.title },
];

function ticketNumber(text: string): number {
  const n = Number(text.replace(/^#/, ""));
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`a ticket is named by its number (#12 or 12), not "${text}"`);
  return n;
}

/** `weft tickets list|show|ack|comment|close`. */
export const registerTickets: RegisterCommand = (program, ctx) => {
  const tickets = program.command("tickets").description("Weft's tickets: list, show with context, acknowledge, comment, close");
  tickets
    .command("list")
    .description("tickets, newest first (not closed, unless --all)")
    .option("--all", "closed ones too")
    .option("-n, --namespace <namespace>", "only this namespace")
    .action(
      ctx.action(async (opts, cmd) => {
        const rows = await (await ctx.connect()).tickets.list.query({ ...(opts.all ? {} : { status: ["OPEN", "ACKNOWLEDGED", "RESOLVED"] as const }), ...(opts.namespace ? { namespace: opts.namespace } : {}), limit: 200 });
        ctx.io.stdout(renderList(outputOf(cmd) ?? "table", rows, COLUMNS, { empty: "no tickets" }));
        return 0;
      }),
    );
  tickets
    .command("show")
    .description("one ticket with its context and timeline")
    .argument("<number>", "ticket number")
    .action(
      ctx.action(async (number, _opts, cmd) => {
        const t = await (await ctx.connect()).tickets.get.query({ number: ticketNumber(number) });
        const format = outputOf(cmd);
        if (format === "json" || format === "yaml") {
          ctx.io.stdout(renderDocument(format, t));
          return 0;
        }
        const c = t.context as { changes?: { at: string; kind: string; namespace: string; name: string; revision: number; author: string; message: string; link: string }[]; exemplars?: { traceId: string; statusCode: number | null }[]; neighbourhood?: { callers: { namespace: string; service: string; errorPercent: number }[]; callees: { namespace: string; service: string; errorPercent: number }[] } | null; links?: { label: string; url: string }[] };
        const lines = [`#${t.number} [${t.status.toLowerCase()}] ${t.title}`, `  ${t.severity}, opened ${t.openedAt.toISOString()}, fired ${t.fireCount}x${t.assignee ? `, assigned to ${t.assignee}` : ""}`];
        if (c.neighbourhood) {
          lines.push(`callers: ${c.neighbourhood.callers.map((n) => `${n.namespace}/${n.service} (${n.errorPercent}% errors)`).join(", ") || "-"}`);
          lines.push(`callees: ${c.neighbourhood.callees.map((n) => `${n.namespace}/${n.service} (${n.errorPercent}% errors)`).join(", ") || "-"}`);
        }
        if (c.changes?.length) lines.push("changes before the breach:", ...c.changes.map((ch) => `  ${ch.at} ${ch.kind} ${ch.namespace}/${ch.name} rev ${ch.revision} by ${ch.author}: ${ch.message || "-"} (${ch.link})`));
        if (c.exemplars?.length) lines.push(`failing traces: ${c.exemplars.map((e) => e.traceId).join(", ")}`);
        if (c.links?.length) lines.push(...c.links.map((l) => `${l.label}: ${l.url}`));
        lines.push("timeline:", ...t.comments.map((m) => `  ${m.at.toISOString()} ${m.authorName} (${m.kind}): ${m.body}`));
        ctx.io.stdout(`${lines.join("\n")}\n`);
        return 0;
      }),
    );
  const act = (name: string, description: string, run: (client: Awaited<ReturnType<typeof ctx.connect>>, id: string, message: string) => Promise<unknown>, needsMessage = false) => {
    const command = tickets.command(name).description(description).argument("<number>", "ticket number").option("-m, --message <message>", needsMessage ? "the comment" : "a note", "");
    command.action(
      ctx.action(async (number, opts) => {
        if (needsMessage && !opts.message) throw new UsageError("-m is required");
        const client = await ctx.connect();
        const ticket = await client.tickets.get.query({ number: ticketNumber(number) });
        await run(client, ticket.id, opts.message);
        ctx.io.stdout(`ticket #${ticket.number}: ${name === "ack" ? "acknowledged" : name === "close" ? "closed" : "commented"}\n`);
        return 0;
      }),
    );
  };
  act("ack", "acknowledge a ticket", (c, id) => c.tickets.acknowledge.mutate({ id }));
  act("comment", "comment on a ticket", (c, id, body) => c.tickets.comment.mutate({ id, body }), true);
  act("close", "close a ticket (the next firing opens a new one)", (c, id, body) => c.tickets.close.mutate({ id, body }));
};
