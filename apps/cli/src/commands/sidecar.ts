import { outputOf, UsageError, type RegisterCommand } from "../context.ts";
import { renderDocument } from "../output/render.ts";
import { parseTarget, sinceWindow, summaryLines } from "../sidecar-suggestion.ts";

/** `weft sidecar suggest`: a Sidecar (egress scope) from the services the target's workloads called. */
export const registerSidecar: RegisterCommand = (program, ctx) => {
  const sidecar = program.command("sidecar").description("egress scopes (Sidecar resources)");
  sidecar
    .command("suggest")
    .description("a Sidecar whose egress hosts are the services the workloads called (telemetry); pipe to weft apply -f -")
    .argument("<target>", "<namespace> (every workload of it) or <namespace>/<service>")
    .option("--since <duration>", "how far back to look at traffic, at most 7d", "7d")
    .action(
      ctx.action(async (text, opts, cmd) => {
        const format = outputOf(cmd) ?? "yaml";
        if (format !== "yaml" && format !== "json") throw new UsageError(`-o must be yaml or json for a document, not "${format}"`);
        const target = parseTarget(text);
        const window = sinceWindow(opts.since, new Date());
        const s = await (await ctx.connect()).sidecars.suggest.query({ ...target, from: window.from, to: window.to });
        // The summary goes to stderr, so stdout stays a document `weft apply -f -` takes.
        ctx.io.stderr(`${summaryLines(s).join("\n")}\n`);
        ctx.io.stdout(renderDocument(format, s.document));
        return 0;
      }),
    );
};
