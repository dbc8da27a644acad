import { Option } from "@commander-js/extra-typings";
import type { ManagerClient } from "../client.ts";
import { outputOf, type RegisterCommand } from "../context.ts";
import { renderList, type Column } from "../output/render.ts";

type View = Awaited<ReturnType<ManagerClient["diagnostics"]["list"]["query"]>>;
type Row = View["diagnostics"][number];

/** What a finding is about: the service for catalog findings, else the resource and field. */
function aboutOf(r: Row): string {
  if (r.resource) return r.path ? `${r.resource} ${r.path}` : r.resource;
  return r.service ?? r.path;
}

const COLUMNS: Column<Row>[] = [
  { header: "SEVERITY", value: (r) => r.severity },
  { header: "CLUSTER", value: (r) => r.cluster },
  { header: "CODE", value: (r) => r.code },
  { header: "ABOUT", value: (r) => aboutOf(r) },
  { header: "PROXIES", value: (r) => String(r.proxyCount) },
  { header: "REPORTED-BY", value: (r) => `${r.proxies.join(",")}${r.proxyCount > r.proxies.length ? ` (+${r.proxyCount - r.proxies.length})` : ""}`, wide: true },
  { header: "CONFIG", value: (r) => (r.configVersion === null ? "-" : String(r.configVersion)), wide: true },
  { header: "REASON", value: (r) => r.message },
];

/**
 * `weft diagnostics`: what the compiler said while compiling the proxies'
 * configs (endpoints left out and why, settings without effect, services not
 * exported), as the agents acknowledged them — istioctl analyze's runtime twin.
 */
export const registerDiagnostics: RegisterCommand = (program, ctx) => {
  program
    .command("diagnostics")
    .description("the compiler's findings for the proxies' configs (unreachable endpoints, unexported services, unsupported fields, …), most serious first")
    .option("--cluster <name>", "only this cluster's proxies")
    .option("--service <namespace/name>", "only findings about this service")
    .addOption(new Option("--severity <level>", "the least serious severity shown (warning: errors and warnings)").choices(["error", "warning", "info"] as const))
    .option("--code <code>", "only this diagnostic code, e.g. unreachable_endpoint")
    .action(
      ctx.action(async (opts, cmd) => {
        const view = await (await ctx.connect()).diagnostics.list.query({
          ...(opts.cluster && { cluster: opts.cluster }),
          ...(opts.service && { service: opts.service }),
          ...(opts.severity && { severity: opts.severity }),
          ...(opts.code && { code: opts.code }),
        });
        const format = outputOf(cmd) ?? "table";
        ctx.io.stdout(renderList(format, view.diagnostics, COLUMNS, { empty: "no diagnostics", document: view }));
        // A cluster that has not acknowledged the current config reports what it compiled last: say so, beside the table.
        if (format === "table" || format === "wide")
          for (const s of view.sources.filter((x) => !x.current)) ctx.io.stderr(`cluster ${s.cluster}: ${s.configVersion === null ? "no acknowledgement yet" : `findings for config ${s.configVersion}, the mesh is at ${view.meshConfigVersion}`}\n`);
        return 0;
      }),
    );
};
