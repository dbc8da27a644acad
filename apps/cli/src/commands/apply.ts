import { outputOf, type RegisterCommand } from "../context.ts";
import { readManifest } from "../manifest-input.ts";
import { describeChange } from "../output/describe.ts";
import { renderDocument } from "../output/render.ts";

/** `weft apply -f FILE`: create or update every document in one change. */
export const registerApply: RegisterCommand = (program, ctx) => {
  program
    .command("apply")
    .description("create or update the resources of a file in one change (validation, analyzers, diff, affected workloads)")
    .requiredOption("-f, --filename <file>", "YAML (multi-document) or JSON; - reads stdin")
    .option("--dry-run", "validate, analyze and diff only; store nothing")
    .option("-m, --message <message>", "why: recorded with the revision", "")
    .action(
      ctx.action(async (opts, cmd) => {
        const input = await readManifest(opts.filename, ctx.io);
        const client = await ctx.connect();
        const result = await client.resources.applyDocuments.mutate({ ...input, dryRun: opts.dryRun ?? false, message: opts.message });
        const format = outputOf(cmd);
        ctx.io.stdout(format === "json" || format === "yaml" ? renderDocument(format, result) : describeChange(result, { showDiff: false }));
        return result.status === "invalid" || result.status === "blocked" ? 1 : 0;
      }),
    );
};
