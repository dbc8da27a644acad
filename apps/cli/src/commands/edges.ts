import { outputOf, type RegisterCommand } from "../context.ts";
import { renderList } from "../output/render.ts";
import { resolveWindow } from "../time-window.ts";
import { trafficColumns } from "../traffic-table.ts";

/** `weft edges`: every caller → callee pair with traffic in the window (linkerd viz edges), the numbers of `weft stat edges`. */
export const registerEdges: RegisterCommand = (program, ctx) => {
  program
    .command("edges")
    .description("every edge (caller → callee) with traffic in the window: success rate, rps, latency, mTLS share")
    .option("--window <duration>", "the last this long (default 5m)")
    .option("--from <time>", "window start (ISO 8601), instead of --window")
    .option("--to <time>", "window end (default now)")
    .option("-n, --namespace <namespace>", "only edges with this namespace at either end")
    .option("--cluster <name>", "only edges with this cluster at either end")
    .action(
      ctx.action(async (opts, cmd) => {
        const window = resolveWindow(opts, new Date());
        const result = await (await ctx.connect()).telemetry.stats.query({ from: window.from, to: window.to, groupBy: "edge", ...(opts.cluster && { cluster: opts.cluster }), ...(opts.namespace && { namespace: opts.namespace }) });
        ctx.io.stdout(renderList(outputOf(cmd) ?? "table", result.groups, trafficColumns("edge"), { empty: `no traffic in the window (${window.label})`, document: result }));
        return 0;
      }),
    );
};
