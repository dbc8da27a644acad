import { outputOf, type RegisterCommand } from "../context.ts";
import { readManifest } from "../manifest-input.ts";
import { describeChange } from "../output/describe.ts";
import { renderDocument } from "../output/render.ts";

/** `weft diff -f FILE`: what apply would change; exit 1 when anything differs. */
export const registerDiff: RegisterCommand = (program, ctx) => {
  program
    .command("diff")
    .description("show what apply would change; exit code 0 when nothing differs, 1 when something does or is invalid")
    .requiredOption("-f, --filename <file>", "YAML (multi-document) or JSON; - reads stdin")
    .action(
      ctx.action(async (opts, cmd) => {
        const input = await readManifest(opts.filename, ctx.io);
        const client = await ctx.connect();
        const result = await client.resources.applyDocuments.mutate({ ...input, dryRun: true });
        const format = outputOf(cmd);
        ctx.io.stdout(format === "json" || format === "yaml" ? renderDocument(format, result) : describeChange(result, { showDiff: true }));
        if (result.status === "invalid" || result.status === "blocked") return 1;
        return result.changes.some((c) => c.action !== "unchanged") ? 1 : 0;
      }),
    );
};
