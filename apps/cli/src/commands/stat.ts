import { completeArguments } from "../completion/complete.ts";
import { outputOf, type RegisterCommand } from "../context.ts";
import { renderList } from "../output/render.ts";
import { resolveWindow } from "../time-window.ts";
import { matchesName, resolveStatKind, STAT_KINDS, trafficColumns } from "../traffic-table.ts";

/** `weft stat <kind> [name]`: success rate, rps, latency percentiles and mTLS share over a window (linkerd viz stat). */
export const registerStat: RegisterCommand = (program, ctx) => {
  const command = program
    .command("stat")
    .description("traffic of services, workloads, clusters or edges over a window: success rate, rps, p50/p95/p99 latency, mTLS share")
    .argument("<kind>", `one of ${STAT_KINDS.join(", ")}`)
    .argument("[name]", "only this one (a service as name or namespace/name; a workload also as service@version)")
    .option("--window <duration>", "the last this long (default 5m)")
    .option("--from <time>", "window start (ISO 8601), instead of --window")
    .option("--to <time>", "window end (default now)")
    .option("-n, --namespace <namespace>", "only traffic with this namespace at either end")
    .option("--cluster <name>", "only traffic with this cluster at either end")
    .action(
      ctx.action(async (kindText, name, opts, cmd) => {
        const kind = resolveStatKind(kindText);
        const window = resolveWindow(opts, new Date());
        const result = await (await ctx.connect()).telemetry.stats.query({ from: window.from, to: window.to, groupBy: kind, ...(opts.cluster && { cluster: opts.cluster }), ...(opts.namespace && { namespace: opts.namespace }) });
        const groups = result.groups.filter((g) => matchesName(kind, g, name));
        ctx.io.stdout(renderList(outputOf(cmd) ?? "table", groups, trafficColumns(kind), { empty: `no traffic${name ? ` for ${name}` : ""} in the window (${window.label})`, document: { ...result, groups } }));
        return 0;
      }),
    );
  completeArguments(command, STAT_KINDS);
};
