import type { StoredResource } from "@weft/api";
import { outputOf, type RegisterCommand } from "../context.ts";
import { completeArguments } from "../completion/complete.ts";
import { KIND_WORDS, resolveKind } from "../kinds.ts";
import { renderDocument, renderList, type Column } from "../output/render.ts";

const COLUMNS: Column<StoredResource>[] = [
  { header: "NAMESPACE", value: (r) => r.namespace || "-" },
  { header: "NAME", value: (r) => r.name },
  { header: "REVISION", value: (r) => String(r.revision) },
  { header: "UPDATED", value: (r) => r.updatedAt.toISOString() },
  { header: "LABELS", value: (r) => Object.entries(r.document?.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(",") || "-", wide: true },
  { header: "CREATED", value: (r) => r.createdAt.toISOString(), wide: true },
];

/** `weft get <kind> [name]`: a table of a kind, or one resource's document. */
export const registerGet: RegisterCommand = (program, ctx) => {
  const command = program
    .command("get")
    .description("list the resources of a kind, or show one as YAML")
    .argument("<kind>", "resource kind (any case, singular or plural)")
    .argument("[name]", "one resource")
    .option("-n, --namespace <namespace>", "only this namespace")
    .action(
      ctx.action(async (kindText, name, opts, cmd) => {
        const kind = resolveKind(kindText);
        const client = await ctx.connect();
        const format = outputOf(cmd) ?? (name ? "yaml" : "table");
        if (name) {
          const item = await client.resources.get.query({ kind, name, namespace: opts.namespace });
          ctx.io.stdout(format === "json" || format === "yaml" ? renderDocument(format, item.document) : renderList(format, [item], COLUMNS));
          return 0;
        }
        const items = await client.resources.list.query({ kind, ...(opts.namespace ? { namespace: opts.namespace } : {}) });
        const documents = items.map((i) => i.document).filter((d) => d !== null);
        ctx.io.stdout(format === "yaml" ? documents.map((d) => renderDocument("yaml", d)).join("---\n") : renderList(format, items, COLUMNS, { empty: "no resources found", document: documents }));
        return 0;
      }),
    );
  completeArguments(command, KIND_WORDS);
};
