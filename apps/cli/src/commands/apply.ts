import { outputOf, type RegisterCommand } from "../context.ts";
import { pruneOf } from "../label-selector.ts";
import { locate, readManifests } from "../manifest-input.ts";
import { describeChange, describeError } from "../output/describe.ts";
import { renderDocument } from "../output/render.ts";

/** `weft apply -f FILE|DIR`: create or update every document in one change. */
export const registerApply: RegisterCommand = (program, ctx) => {
  program
    .command("apply")
    .description("create or update the resources of a file or folder in one change (validation, analyzers, diff, affected workloads)")
    .requiredOption("-f, --filename <path>", "a YAML (multi-document) or JSON file, a folder of them, or - for stdin")
    .option("--prune", "also delete what the input no longer declares among the resources --selector covers (in the same change)")
    .option("-l, --selector <labels>", "with --prune: key=value[,key=value] labels; every document must carry them")
    .option("--dry-run", "validate, analyze and diff only; store nothing")
    .option("-m, --message <message>", "why: recorded with the revision", "")
    .action(
      ctx.action(async (opts, cmd) => {
        const prune = pruneOf(opts);
        const manifests = await readManifests(opts.filename, ctx.io);
        const locator = (p: { document?: number | undefined; line?: number | undefined }) => locate(manifests, p);
        const client = await ctx.connect();
        let result;
        try {
          result = await client.resources.applyDocuments.mutate({ text: manifests.text, ...(manifests.format && { format: manifests.format }), ...(prune && { prune }), dryRun: opts.dryRun ?? false, message: opts.message });
        } catch (err) {
          ctx.io.stderr(describeError(err, locator));
          return 1;
        }
        const format = outputOf(cmd);
        ctx.io.stdout(format === "json" || format === "yaml" ? renderDocument(format, result) : describeChange(result, { showDiff: false, locate: locator }));
        return result.status === "invalid" || result.status === "blocked" ? 1 : 0;
      }),
    );
};
