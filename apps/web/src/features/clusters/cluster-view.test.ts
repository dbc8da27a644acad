import { describe, expect, it } from "vitest";
import { describeAgentStatus, describeSync, joinCommand } from "./cluster-view.ts";

describe("describeAgentStatus", () => {
  it.each([
    ["CONNECTED", "ok", "Connected"],
    ["DISCONNECTED", "critical", "Disconnected"],
    ["PENDING", "info", "Waiting for agent"],
  ] as const)("%s", (status, tone, label) => expect(describeAgentStatus(status)).toEqual({ tone, label }));
});

describe("describeSync", () => {
  it.each([
    ["in sync", { state: "in-sync", meshConfigVersion: 7n, appliedConfigVersion: 7n }, "ok", "In sync", "applied v7 of v7"],
    ["behind", { state: "behind", meshConfigVersion: 9n, appliedConfigVersion: 7n }, "warning", "Behind by 2", "applied v7 of v9"],
    ["rejected", { state: "rejected", meshConfigVersion: 9n, appliedConfigVersion: 8n }, "critical", "Rejected", "applied v8 of v9"],
    ["never", { state: "never", meshConfigVersion: 3n, appliedConfigVersion: null }, "info", "Never synced", "applied none of v3"],
  ] as const)("%s", (_name, sync, tone, label, detail) => expect(describeSync(sync)).toEqual({ tone, label, detail }));
});

it("joinCommand names the manager, the cluster and the token", () => {
  expect(joinCommand({ managerUrl: "https://weft.example:4000", clusterName: "east", joinToken: "weftjoin_x" })).toBe(
    "weft-agent \\\n  --manager https://weft.example:4000 \\\n  --cluster east \\\n  --join-token weftjoin_x",
  );
});
