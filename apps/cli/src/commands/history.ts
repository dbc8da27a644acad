import type { RevisionView } from "@weft/api";
import { outputOf, type RegisterCommand } from "../context.ts";
import { completeArguments } from "../completion/complete.ts";
import { KIND_WORDS, resolveKind } from "../kinds.ts";
import { renderList, type Column } from "../output/render.ts";

const COLUMNS: Column<RevisionView>[] = [
  { header: "REVISION", value: (r) => String(r.revision) },
  { header: "ACTION", value: (r) => r.action },
  { header: "AUTHOR", value: (r) => r.authorName },
  { header: "CONFIG", value: (r) => String(r.configVersion) },
  { header: "TIME", value: (r) => r.createdAt.toISOString() },
  { header: "SERVICES", value: (r) => r.services.join(",") || "-", wide: true },
  { header: "CHANGE-REQUEST", value: (r) => r.changeRequestId ?? "-", wide: true },
  { header: "MESSAGE", value: (r) => r.message },
];

/** `weft history <kind> <name>`: every revision, newest first. */
export const registerHistory: RegisterCommand = (program, ctx) => {
  const command = program
    .command("history")
    .description("every revision of one resource, newest first")
    .argument("<kind>", "resource kind")
    .argument("<name>", "resource name")
    .option("-n, --namespace <namespace>", 'namespace ("default" when omitted)')
    .action(
      ctx.action(async (kindText, name, opts, cmd) => {
        const kind = resolveKind(kindText);
        const revisions = await (await ctx.connect()).resources.history.query({ kind, name, namespace: opts.namespace });
        ctx.io.stdout(renderList(outputOf(cmd) ?? "table", revisions, COLUMNS, { empty: "no revisions" }));
        return 0;
      }),
    );
  completeArguments(command, KIND_WORDS);
};
