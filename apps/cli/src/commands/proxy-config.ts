import { outputOf, UsageError, type RegisterCommand } from "../context.ts";
import { renderDocument, table } from "../output/render.ts";

const SECTIONS = ["all", "listeners", "routes", "backends"] as const;
type Section = (typeof SECTIONS)[number];

interface Dump {
  listeners?: { name: string; kind: string; address?: string; port: number }[];
  virtualHosts?: { name?: string; domains?: string[]; routes?: { name?: string; match?: unknown; backends?: unknown }[] }[];
  routes?: unknown[];
  backends?: { name: string; endpoints?: unknown[]; version?: string }[];
}

function summary(section: Section, config: Dump): string {
  const out: string[] = [];
  if (section === "all" || section === "listeners") {
    const listeners = config.listeners ?? [];
    out.push(table(["LISTENER", "KIND", "ADDRESS"], listeners.map((l) => [l.name, l.kind, `${l.address ?? "0.0.0.0"}:${l.port}`])));
  }
  if (section === "all" || section === "routes") {
    const hosts = config.virtualHosts ?? [];
    out.push(table(["VIRTUAL-HOST", "DOMAINS", "ROUTES"], hosts.map((h) => [h.name ?? "-", (h.domains ?? []).join(",") || "-", String((h.routes ?? []).length)])));
  }
  if (section === "all" || section === "backends") {
    const backends = config.backends ?? [];
    out.push(table(["BACKEND", "ENDPOINTS"], backends.map((b) => [b.name, String((b.endpoints ?? []).length)])));
  }
  return out.join("\n");
}

/** `weft proxy-config <cluster>/<namespace>/<workload>`: what one proxy runs, from its agent (istioctl proxy-config). */
export const registerProxyConfig: RegisterCommand = (program, ctx) => {
  program
    .command("proxy-config")
    .description("the config one proxy runs (listeners, routes, backends), from its cluster's agent, secrets redacted; -o yaml|json for all of it")
    .argument("<proxy>", "cluster/namespace/workload, e.g. east/shop/frontend-1")
    .argument("[section]", `${SECTIONS.join(", ")} (default all)`)
    .action(
      ctx.action(async (target, sectionText, _opts, cmd) => {
        const match = /^([^/]+)\/([^/]+\/[^/]+)$/.exec(target);
        if (!match) throw new UsageError(`<proxy> must be cluster/namespace/workload, not "${target}"`);
        const section = (sectionText ?? "all") as Section;
        if (!SECTIONS.includes(section)) throw new UsageError(`unknown section "${sectionText}"; expected one of ${SECTIONS.join(", ")}`);
        const dump = await (await ctx.connect()).proxies.config.query({ cluster: match[1]!, workload: match[2]! });
        const format = outputOf(cmd);
        if (format === "json" || format === "yaml") ctx.io.stdout(renderDocument(format, section === "all" ? dump : { ...dump, config: { [section === "routes" ? "virtualHosts" : section]: (dump.config as Record<string, unknown>)[section === "routes" ? "virtualHosts" : section] } }));
        else ctx.io.stdout(`proxy ${dump.cluster}/${dump.proxy} runs config ${dump.version ?? "(none)"}\n\n${summary(section, (dump.config ?? {}) as Dump)}`);
        return 0;
      }),
    );
};
