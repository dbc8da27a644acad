import { outputOf, type RegisterCommand } from "../context.ts";
import { pruneOf } from "../label-selector.ts";
import { locate, readManifests } from "../manifest-input.ts";
import { describeChange, describeError } from "../output/describe.ts";
import { renderDocument } from "../output/render.ts";

/** `weft diff -f FILE|DIR`: what apply would change. Exit 0: nothing; 1: something differs; 3: the input is invalid or would be refused. */
export const registerDiff: RegisterCommand = (program, ctx) => {
  program
    .command("diff")
    .description("show what apply would change; exit code 0 when nothing differs, 1 when something does, 3 when the input is invalid or would be refused")
    .requiredOption("-f, --filename <path>", "a YAML (multi-document) or JSON file, a folder of them, or - for stdin")
    .option("--prune", "also delete what the input no longer declares among the resources --selector covers (in the same change)")
    .option("-l, --selector <labels>", "with --prune: key=value[,key=value] labels; every document must carry them")
    .action(
      ctx.action(async (opts, cmd) => {
        const prune = pruneOf(opts);
        const manifests = await readManifests(opts.filename, ctx.io);
        const locator = (p: { document?: number | undefined; line?: number | undefined }) => locate(manifests, p);
        const client = await ctx.connect();
        let result;
        try {
          result = await client.resources.applyDocuments.mutate({ text: manifests.text, ...(manifests.format && { format: manifests.format }), ...(prune && { prune }), dryRun: true });
        } catch (err) {
          ctx.io.stderr(describeError(err, locator));
          return 3;
        }
        const format = outputOf(cmd);
        ctx.io.stdout(format === "json" || format === "yaml" ? renderDocument(format, result) : describeChange(result, { showDiff: true, locate: locator }));
        if (result.status === "invalid" || result.status === "blocked") return 3;
        return result.changes.some((c) => c.action !== "unchanged") ? 1 : 0;
      }),
    );
};
