import { parseDuration } from "@weft/mesh-model";
import { completeArguments } from "../completion/complete.ts";
import { outputOf, UsageError, type RegisterCommand } from "../context.ts";
import { renderDocument, renderList, toPlain } from "../output/render.ts";
import { resolveWindow } from "../time-window.ts";
import { resolveStatKind, STAT_KINDS, trafficColumns } from "../traffic-table.ts";

const CLEAR = "\x1b[H\x1b[2J";

/** Waits `ms`, or less when `signal` aborts; true when it aborted. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(true);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(false);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(true);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** `weft top [kind]`: the busiest services (or workloads, clusters, edges), refreshed until ctrl-C. */
export const registerTop: RegisterCommand = (program, ctx) => {
  const command = program
    .command("top")
    .description("the busiest services, workloads, clusters or edges, refreshed live (ctrl-C stops)")
    .argument("[kind]", `one of ${STAT_KINDS.join(", ")} (default services)`)
    .option("--window <duration>", "each frame covers the last this long", "1m")
    .option("--interval <duration>", "time between frames", "2s")
    .option("--limit <n>", "rows per frame", "20")
    .option("--frames <n>", "stop after this many frames (default: until interrupted)")
    .option("-n, --namespace <namespace>", "only traffic with this namespace at either end")
    .option("--cluster <name>", "only traffic with this cluster at either end")
    .action(
      ctx.action(async (kindText, opts, cmd) => {
        const kind = resolveStatKind(kindText ?? "services");
        const interval = parseDuration(opts.interval);
        if (interval === undefined || interval < 500) throw new UsageError(`--interval must be a duration of at least 500ms, not "${opts.interval}"`);
        const limit = Number(opts.limit);
        const frames = opts.frames === undefined ? Infinity : Number(opts.frames);
        if (!(limit >= 1) || !(frames >= 1)) throw new UsageError("--limit and --frames must be positive numbers");
        resolveWindow({ window: opts.window }, new Date());
        const format = outputOf(cmd) ?? "table";
        const client = await ctx.connect();
        // On a terminal each frame replaces the last; in a pipe frames follow each other.
        const live = ctx.io.terminal === true;
        for (let frame = 1; frame <= frames; frame++) {
          const window = resolveWindow({ window: opts.window }, new Date());
          const result = await client.telemetry.stats.query({ from: window.from, to: window.to, groupBy: kind, ...(opts.cluster && { cluster: opts.cluster }), ...(opts.namespace && { namespace: opts.namespace }) });
          const groups = result.groups.slice(0, limit);
          // One JSON document per line (or one YAML document per frame), so a pipe can read frames as they come.
          if (format === "json") ctx.io.stdout(`${JSON.stringify(toPlain({ ...result, groups }))}\n`);
          else if (format === "yaml") ctx.io.stdout(`---\n${renderDocument("yaml", { ...result, groups })}`);
          else {
            const heading = `weft top: ${kind}s, ${window.label}, at ${new Date().toISOString().slice(11, 19)} (ctrl-C stops)`;
            ctx.io.stdout(`${live ? CLEAR : frame > 1 ? "\n" : ""}${heading}\n${renderList(format, groups, trafficColumns(kind), { empty: "no traffic in the window" })}`);
          }
          if (frame < frames && (await pause(interval, ctx.io.signal))) break;
        }
        return 0;
      }),
    );
  completeArguments(command, STAT_KINDS);
};
