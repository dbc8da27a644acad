import { outputOf, type RegisterCommand } from "../context.ts";
import { completeArguments } from "../completion/complete.ts";
import { KIND_WORDS, resolveKind } from "../kinds.ts";
import { describeChange } from "../output/describe.ts";
import { renderDocument } from "../output/render.ts";

/** `weft delete <kind> <name>`. */
export const registerDelete: RegisterCommand = (program, ctx) => {
  const command = program
    .command("delete")
    .description("delete one resource")
    .argument("<kind>", "resource kind")
    .argument("<name>", "resource name")
    .option("-n, --namespace <namespace>", 'namespace ("default" when omitted)')
    .option("--dry-run", "show what would change; store nothing")
    .option("-m, --message <message>", "why: recorded with the revision", "")
    .action(
      ctx.action(async (kindText, name, opts, cmd) => {
        const kind = resolveKind(kindText);
        const result = await (await ctx.connect()).resources.delete.mutate({ kind, name, namespace: opts.namespace, dryRun: opts.dryRun ?? false, message: opts.message });
        const format = outputOf(cmd);
        ctx.io.stdout(format === "json" || format === "yaml" ? renderDocument(format, result) : describeChange(result, { showDiff: false }));
        return result.status === "blocked" ? 1 : 0;
      }),
    );
  completeArguments(command, KIND_WORDS);
};
