import { readFile } from "node:fs/promises";
import type { SloSummary } from "@weft/api";
import { formatBurnRate, formatSpan } from "@weft/mesh-model";
import { outputOf, readAll, UsageError, type RegisterCommand } from "../context.ts";
import { describeChange } from "../output/describe.ts";
import { renderDocument, renderList, type Column } from "../output/render.ts";

const percent = (v: number | null | undefined, digits: number) => (v === null || v === undefined ? "-" : `${(v * 100).toFixed(digits)}%`);
const firing = (s: SloSummary) => s.alerts.filter((a) => a.state === "FIRING").map((a) => `${a.severity}:${a.scope ? `${a.scope}:` : ""}${a.pair}`);

const COLUMNS: Column<SloSummary>[] = [
  { header: "NAMESPACE", value: (s) => s.namespace },
  { header: "NAME", value: (s) => s.name },
  { header: "SERVICE", value: (s) => `${s.service.namespace}/${s.service.name}` },
  { header: "SLI", value: (s) => percent(s.statuses[0]?.sli, 3) },
  { header: "OBJECTIVE", value: (s) => `${s.objective}%/${s.window}` },
  { header: "BUDGET", value: (s) => percent(s.statuses[0]?.budgetRemaining, 0) },
  { header: "BURN", value: (s) => (s.statuses[0] ? `${formatBurnRate(s.statuses[0].burnRates[s.statuses[0].currentWindow] ?? 0)}x/${s.statuses[0].currentWindow}` : "-") },
  { header: "FIRING", value: (s) => firing(s).join(",") || "-" },
  { header: "INDICATOR", value: (s) => s.indicatorText, wide: true },
];

/** `weft slo list|status|export|import`: SLOs, their judgement, and OpenSLO / Prometheus rules in and out. */
export const registerSlo: RegisterCommand = (program, ctx) => {
  const slo = program.command("slo").description("service level objectives: status, OpenSLO import/export, Prometheus rules");
  slo
    .command("list")
    .description("every SLO with its SLI, budget left, current burn and firing alerts")
    .option("-n, --namespace <namespace>", "only this namespace")
    .action(
      ctx.action(async (opts, cmd) => {
        const rows = await (await ctx.connect()).slos.list.query(opts.namespace ? { namespace: opts.namespace } : {});
        ctx.io.stdout(renderList(outputOf(cmd) ?? "table", rows, COLUMNS, { empty: "no SLOs" }));
        return 0;
      }),
    );
  slo
    .command("status")
    .description("one SLO: SLI and budget per scope, every alert window's burn rates, the latest alert history")
    .argument("<name>", "SLO name")
    .option("-n, --namespace <namespace>", 'namespace ("default" when omitted)')
    .action(
      ctx.action(async (name, opts, cmd) => {
        const s = await (await ctx.connect()).slos.get.query({ namespace: opts.namespace ?? "default", name });
        const format = outputOf(cmd);
        if (format === "json" || format === "yaml") {
          ctx.io.stdout(renderDocument(format, s));
          return 0;
        }
        const lines = [`${s.namespace}/${s.name}: ${s.objective}% of requests to ${s.service.namespace}/${s.service.name} good (${s.indicatorText}) over ${s.window}`];
        for (const st of s.statuses) {
          const runsOut = st.exhaustsAt ? `runs out in ${formatSpan(Math.max(0, st.exhaustsAt.getTime() - Date.now()))}` : "not burning";
          lines.push(`  ${st.scope || "mesh-wide"}: SLI ${percent(st.sli, 3)} over ${Math.round(st.requests)} requests, budget left ${percent(st.budgetRemaining, 1)}, ${runsOut}`);
        }
        if (s.statuses.length === 0) lines.push("  not judged yet");
        lines.push("alerts:");
        for (const a of s.alerts) lines.push(`  ${a.scope ? `${a.scope} ` : ""}${a.severity} ${a.pair}: ${a.state.toLowerCase()} — ${a.longBurn === null ? "no data" : `${formatBurnRate(a.longBurn)}x`} / ${a.shortBurn === null ? "no data" : `${formatBurnRate(a.shortBurn)}x`} (threshold ${formatBurnRate(a.threshold)}x)`);
        if (s.events.length) lines.push("history:", ...s.events.slice(0, 10).map((e) => `  ${e.at.toISOString()} ${e.pair} ${e.from.toLowerCase()} → ${e.to.toLowerCase()}: ${e.reason}`));
        if (s.tickets.length) lines.push("tickets:", ...s.tickets.map((t) => `  #${t.number} ${t.status.toLowerCase()} ${t.title}`));
        ctx.io.stdout(`${lines.join("\n")}\n`);
        return 0;
      }),
    );
  slo
    .command("export")
    .description("the SLOs as OpenSLO v1 documents (SLO + AlertPolicy), or as Prometheus recording and alerting rules")
    .argument("[name]", "one SLO (all when omitted)")
    .option("-n, --namespace <namespace>", "only this namespace")
    .option("--format <format>", "openslo or prometheus", "openslo")
    .action(
      ctx.action(async (name, opts) => {
        if (opts.format !== "openslo" && opts.format !== "prometheus") throw new UsageError(`--format must be openslo or prometheus, not "${opts.format}"`);
        const client = await ctx.connect();
        const filter = { ...(opts.namespace ? { namespace: opts.namespace } : name ? { namespace: "default" } : {}), ...(name ? { name } : {}) };
        const { yaml } = opts.format === "openslo" ? await client.slos.exportOpenSlo.query(filter) : await client.slos.prometheusRules.query(filter);
        ctx.io.stdout(yaml);
        return 0;
      }),
    );
  slo
    .command("import")
    .description("OpenSLO v1 documents applied as SLOs (validation, analyzers, revisions, audit)")
    .requiredOption("-f, --filename <file>", "OpenSLO YAML or JSON; - reads stdin")
    .option("-n, --namespace <namespace>", "namespace for SLOs without a weft.io/namespace annotation", "default")
    .option("--dry-run", "validate, analyze and diff only; store nothing")
    .option("-m, --message <message>", "why: recorded with the revisions", "")
    .action(
      ctx.action(async (opts, cmd) => {
        const text = opts.filename === "-" ? await readAll(ctx.io.stdin) : await readFile(opts.filename, "utf8");
        const { result, warnings } = await (await ctx.connect()).slos.importOpenSlo.mutate({ text, namespace: opts.namespace, dryRun: opts.dryRun ?? false, message: opts.message });
        const format = outputOf(cmd);
        if (format === "json" || format === "yaml") ctx.io.stdout(renderDocument(format, { result, warnings }));
        else {
          for (const w of warnings) ctx.io.stderr(`warning: ${w.path}: ${w.message}\n`);
          ctx.io.stdout(describeChange(result, { showDiff: false }));
        }
        return result.status === "invalid" || result.status === "blocked" ? 1 : 0;
      }),
    );
};
