import { outputOf, type RegisterCommand } from "../context.ts";
import { refName } from "../kinds.ts";
import { readManifests } from "../manifest-input.ts";
import { analyzeOffline } from "../offline-analysis.ts";
import { renderDocument, table } from "../output/render.ts";

/** `weft analyze -f DIR`: validation and the cross-resource analyzers, offline. Exit 1 on any error. */
export const registerAnalyze: RegisterCommand = (program, ctx) => {
  program
    .command("analyze")
    .description("validate a file or folder and run the manager's analyzers on it, without a manager; exit code 1 on errors")
    .requiredOption("-f, --filename <path>", "a YAML (multi-document) or JSON file, a folder of them, or - for stdin")
    .action(
      ctx.action(async (opts, cmd) => {
        const result = analyzeOffline(await readManifests(opts.filename, ctx.io));
        const failed = result.invalid.length > 0 || result.findings.some((f) => f.severity === "error");
        const format = outputOf(cmd);
        if (format === "json" || format === "yaml") {
          ctx.io.stdout(renderDocument(format, result));
          return failed ? 1 : 0;
        }
        if (result.invalid.length > 0) {
          ctx.io.stdout(`invalid input:\n${result.invalid.map((i) => `  ${i.where ? `${i.where}: ` : ""}${i.path || "(document)"}: ${i.message} [${i.code}]`).join("\n")}\n`);
          return 1;
        }
        if (result.findings.length === 0) ctx.io.stdout(`✔ no findings in ${result.resources} resource(s)\n`);
        else {
          const wide = format === "wide";
          ctx.io.stdout(
            table(
              ["SEVERITY", "CODE", "RESOURCE", "PATH", ...(wide ? ["WHERE"] : []), "MESSAGE"],
              result.findings.map((f) => [f.severity, f.code, refName(f.resource), f.path, ...(wide ? [f.where] : []), f.message]),
            ),
          );
        }
        ctx.io.stdout(`not checked offline (they need discovery; weft apply --dry-run checks them): ${result.notChecked.map((c) => `${c.code} ${c.title}`).join(", ")}\n`);
        return failed ? 1 : 0;
      }),
    );
};
