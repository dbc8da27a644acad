import type { ManagerClient } from "../client.ts";
import { outputOf, type RegisterCommand } from "../context.ts";
import { formatMs, formatPercent, formatRps } from "../output/format-numbers.ts";
import { renderList, type Column } from "../output/render.ts";
import { resolveWindow } from "../time-window.ts";

export type EdgeStats = Awaited<ReturnType<ManagerClient["telemetry"]["edges"]["query"]>>["edges"][number];
type End = EdgeStats["source"];

/** `cluster/namespace/service@version`, or `unknown` for callers outside the mesh. */
export const endName = (e: End) => (e.cluster === "" && e.service === "unknown" ? "unknown" : `${e.cluster}/${e.namespace}/${e.service}${e.version ? `@${e.version}` : ""}`);

const COLUMNS: Column<EdgeStats>[] = [
  { header: "SOURCE", value: (e) => endName(e.source) },
  { header: "DESTINATION", value: (e) => endName(e.destination) },
  { header: "SUCCESS", value: (e) => (e.requests === 0 ? "-" : formatPercent(100 - e.errorPercent)) },
  { header: "RPS", value: (e) => formatRps(e.rate) },
  { header: "P50", value: (e) => formatMs(e.p50) },
  { header: "P99", value: (e) => formatMs(e.p99) },
  { header: "MTLS", value: (e) => formatPercent(e.mtlsPercent) },
  { header: "REQUESTS", value: (e) => String(e.requests), wide: true },
  { header: "P90", value: (e) => formatMs(e.p90), wide: true },
  { header: "CLASSES", value: (e) => Object.entries(e.byClass).map(([k, v]) => `${k}=${v}`).join(",") || "-", wide: true },
];

/** `weft edges`: every caller → callee pair with traffic in the window, with mTLS share. */
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
        const result = await (await ctx.connect()).telemetry.edges.query({ from: window.from, to: window.to, ...(opts.cluster && { cluster: opts.cluster }), ...(opts.namespace && { namespace: opts.namespace }) });
        ctx.io.stdout(renderList(outputOf(cmd) ?? "table", result.edges, COLUMNS, { empty: `no traffic in the window (${window.label})`, document: result }));
        return 0;
      }),
    );
};
