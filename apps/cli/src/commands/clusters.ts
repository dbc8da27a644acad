import type { ManagerClient } from "../client.ts";
import { outputOf, type RegisterCommand } from "../context.ts";
import { formatAge } from "../output/format-numbers.ts";
import { renderList, type Column } from "../output/render.ts";

export type ClusterView = Awaited<ReturnType<ManagerClient["clusters"]["list"]["query"]>>[number];

const columns = (now: Date): Column<ClusterView>[] => [
  { header: "NAME", value: (c) => c.name },
  { header: "STATUS", value: (c) => c.status.toLowerCase() },
  { header: "SYNC", value: (c) => c.sync.state },
  { header: "CONFIG", value: (c) => `${c.sync.appliedConfigVersion ?? "-"}/${c.sync.meshConfigVersion}` },
  { header: "PROXIES", value: (c) => `${c.proxyCounts.applied}/${c.proxyCounts.total}${c.proxyCounts.rejected > 0 ? ` (${c.proxyCounts.rejected} rejecting)` : ""}` },
  { header: "LAST-SEEN", value: (c) => formatAge(c.lastSeenAt, now) },
  { header: "AGENT", value: (c) => c.agentVersion ?? "-", wide: true },
  { header: "CLOCK-SKEW", value: (c) => (c.clockSkewMs === null ? "-" : `${c.clockSkewMs}ms`), wide: true },
  { header: "REGION", value: (c) => c.region ?? "-", wide: true },
  { header: "GATEWAY", value: (c) => (c.gateway ? `${c.gateway.address}:${c.gateway.port}` : "-"), wide: true },
  { header: "SERVICES", value: (c) => String(c.counts.services), wide: true },
  { header: "WORKLOADS", value: (c) => String(c.counts.workloads), wide: true },
];

/** `weft clusters`: every cluster with its agent's status, sync state and proxies. */
export const registerClusters: RegisterCommand = (program, ctx) => {
  program
    .command("clusters")
    .description("every cluster: agent status, config sync, proxies on the current config")
    .action(
      ctx.action(async (_opts, cmd) => {
        const clusters = await (await ctx.connect()).clusters.list.query();
        ctx.io.stdout(renderList(outputOf(cmd) ?? "table", clusters, columns(new Date()), { empty: "no clusters" }));
        return 0;
      }),
    );
};
