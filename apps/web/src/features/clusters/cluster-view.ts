import type { Tone } from "../health/health-view.ts";

export interface StatusView {
  tone: Tone | "info";
  label: string;
}

/** The agent's connection as a badge. */
export function describeAgentStatus(status: "PENDING" | "CONNECTED" | "DISCONNECTED"): StatusView {
  switch (status) {
    case "CONNECTED":
      return { tone: "ok", label: "Connected" };
    case "DISCONNECTED":
      return { tone: "critical", label: "Disconnected" };
    default:
      return { tone: "info", label: "Waiting for agent" };
  }
}

/** The cluster's config sync as a badge, with the versions behind it. */
export function describeSync(sync: { state: "never" | "in-sync" | "behind" | "rejected"; meshConfigVersion: bigint; appliedConfigVersion: bigint | null }): StatusView & { detail: string } {
  const applied = sync.appliedConfigVersion === null ? "none" : `v${sync.appliedConfigVersion}`;
  const detail = `applied ${applied} of v${sync.meshConfigVersion}`;
  switch (sync.state) {
    case "in-sync":
      return { tone: "ok", label: "In sync", detail };
    case "behind":
      return { tone: "warning", label: `Behind by ${sync.meshConfigVersion - (sync.appliedConfigVersion ?? 0n)}`, detail };
    case "rejected":
      return { tone: "critical", label: "Rejected", detail };
    default:
      return { tone: "info", label: "Never synced", detail };
  }
}

/** The command an operator runs in the new cluster (the join token is shown once). */
export function joinCommand(input: { managerUrl: string; clusterName: string; joinToken: string }): string {
  return [
    "weft-agent \\",
    `  --manager ${input.managerUrl} \\`,
    `  --cluster ${input.clusterName} \\`,
    `  --join-token ${input.joinToken}`,
  ].join("\n");
}
