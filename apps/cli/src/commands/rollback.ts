import { outputOf, UsageError, type RegisterCommand } from "../context.ts";
import { completeArguments } from "../completion/complete.ts";
import { KIND_WORDS, resolveKind } from "../kinds.ts";
import { describeChange } from "../output/describe.ts";
import { renderDocument } from "../output/render.ts";

/** `weft rollback <kind> <name> --to N`: restores a revision's content as a new revision. */
export const registerRollback: RegisterCommand = (program, ctx) => {
  const command = program
    .command("rollback")
    .description("restore an earlier revision's content as a new revision")
    .argument("<kind>", "resource kind")
    .argument("<name>", "resource name")
    .requiredOption("--to <revision>", "the revision to restore")
    .option("-n, --namespace <namespace>", 'namespace ("default" when omitted)')
    .option("--dry-run", "show the diff; store nothing")
    .option("-m, --message <message>", "why: recorded with the revision", "")
    .action(
      ctx.action(async (kindText, name, opts, cmd) => {
        const kind = resolveKind(kindText);
        const to = Number(opts.to);
        if (!Number.isInteger(to) || to < 1) throw new UsageError("--to REVISION must be a revision number");
        const dryRun = opts.dryRun ?? false;
        const result = await (await ctx.connect()).resources.rollback.mutate({ kind, name, namespace: opts.namespace, toRevision: to, dryRun, message: opts.message });
        const format = outputOf(cmd);
        ctx.io.stdout(format === "json" || format === "yaml" ? renderDocument(format, result) : describeChange(result, { showDiff: dryRun }));
        return result.status === "blocked" ? 1 : 0;
      }),
    );
  completeArguments(command, KIND_WORDS);
};
