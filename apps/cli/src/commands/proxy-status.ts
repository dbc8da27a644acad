import type { ManagerClient } from "../client.ts";
import { outputOf, type RegisterCommand } from "../context.ts";
import { renderList, type Column } from "../output/render.ts";

type Status = Awaited<ReturnType<ManagerClient["proxies"]["status"]["query"]>>;
type Row = Omit<Status["clusters"][number]["proxies"][number], "sync"> & { cluster: string; sync: string };

/**
 * SYNCED: runs what its agent compiled from the mesh's current config;
 * STALE: its agent has not got that config yet; REJECTED: it refused it and
 * runs an older one; PENDING: being applied; NOT-RUNNING: its process is down.
 */
function syncOf(proxy: Status["clusters"][number]["proxies"][number], meshVersion: string): string {
  if (proxy.state !== "running") return "NOT-RUNNING";
  if (proxy.sync === "rejected") return "REJECTED";
  if (proxy.meshConfigVersion !== meshVersion) return "STALE";
  return proxy.sync === "synced" ? "SYNCED" : "PENDING";
}

const COLUMNS: Column<Row>[] = [
  { header: "CLUSTER", value: (r) => r.cluster },
  { header: "PROXY", value: (r) => r.proxy },
  { header: "SERVICE", value: (r) => `${r.service}${r.version ? `@${r.version}` : ""}` },
  { header: "STATE", value: (r) => r.state },
  { header: "SYNC", value: (r) => r.sync },
  { header: "MESH-CONFIG", value: (r) => r.meshConfigVersion ?? "-" },
  { header: "PROXY-CONFIG", value: (r) => r.activeVersion ?? "-", wide: true },
  { header: "RESTARTS", value: (r) => String(r.restarts), wide: true },
  { header: "LAST-ERROR", value: (r) => r.lastError ?? "-", wide: true },
];

/** `weft proxy-status`: every proxy, asked of its cluster's agent now (istioctl proxy-status). */
export const registerProxyStatus: RegisterCommand = (program, ctx) => {
  program
    .command("proxy-status")
    .description("every proxy of every cluster (or one): state and whether it runs the mesh's current config, asked of the agents now")
    .option("--cluster <name>", "only this cluster")
    .action(
      ctx.action(async (opts, cmd) => {
        const status = await (await ctx.connect()).proxies.status.query({ ...(opts.cluster && { cluster: opts.cluster }) });
        const meshVersion = String(status.meshConfigVersion);
        const rows: Row[] = status.clusters.flatMap((c) => c.proxies.map((p): Row => ({ ...p, cluster: c.cluster, sync: syncOf(p, meshVersion) })));
        const format = outputOf(cmd) ?? "table";
        ctx.io.stdout(renderList(format, rows, COLUMNS, { empty: "no proxies", document: status }));
        const unanswered = status.clusters.filter((c) => c.error !== null);
        for (const c of unanswered) ctx.io.stderr(`cluster ${c.cluster}: ${c.error}\n`);
        return unanswered.length > 0 ? 1 : 0;
      }),
    );
};
