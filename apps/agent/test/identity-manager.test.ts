// The agent's identity loop against a real manager (weft-manager as a
// process): the manager signs the cluster's intermediate, the agent issues
// SVIDs its proxies run, the manager's inventory lists them, and the bundle
// version is acknowledged.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IdentityStatus } from "../src/identity/identity-controller.ts";
import { startAgentProcess, type AgentProcess } from "./agent-process.ts";
import { freePort } from "./free-port.ts";
import { adminClient, removeHome, startManager, type AdminClient, type ManagerProcess } from "./manager-process.ts";
import { send, shopInstances, startApp, universalFile, type App } from "./mesh-harness.ts";
import { waitFor } from "./wait-for.ts";

describe("the agent's identities with a real manager", { timeout: 120_000 }, () => {
  let dir: string;
  let manager: ManagerProcess;
  let admin: AdminClient;
  let agent: AgentProcess | undefined;
  const apps: App[] = [];
  const ports = { webIn: 0, webOut: 0, webAdmin: 0, catIn: 0, catOut: 0, catAdmin: 0, agentAdmin: 0 };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "weft-agent-identity-manager-"));
    // With DATABASE_URL there is no embedded default CA key: without one, nothing can be signed.
    manager = await startManager({ env: { WEFT_CA_KEY: randomBytes(32).toString("base64") } });
    admin = await adminClient(manager.url, manager.home);
    for (const name of ["web", "catalog"]) apps.push(await startApp(() => name));
    for (const key of Object.keys(ports) as (keyof typeof ports)[]) ports[key] = await freePort();
    await writeFile(join(dir, "east.yaml"), universalFile(shopInstances({ web: apps[0]!.port, catalog: apps[1]!.port }, ports)));
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    await manager?.stop();
    for (const a of apps) a.server.close();
    if (manager) await removeHome(manager.home);
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it("gets its intermediate signed, runs SVIDs in its proxies, reports them and acknowledges the bundle", async () => {
    const { joinToken } = await admin.clusters.create.mutate({ name: "east" });
    const args = ["--manager", manager.url, "--universal-file", join(dir, "east.yaml"), "--state-dir", join(dir, "state"), "--admin-port", String(ports.agentAdmin)];
    agent = startAgentProcess([...args, "--join-token", joinToken]);
    const trust = await waitFor(async () => (await admin.identity.trustBundle.query()) ?? false, "the mesh's trust bundle", 10_000, 200);
    const status = await waitFor(
      async () => {
        const s = ((await (await fetch(`http://127.0.0.1:${ports.agentAdmin}/status`)).json()) as { identity?: IdentityStatus }).identity;
        return s?.state === "ready" && s.svids.length === 2 && s;
      },
      "the agent's SVIDs",
      60_000,
      200,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${agent!.output()}\n${manager.output()}`);
    });
    expect(status.intermediate!.rootFingerprint).toBe(trust.issuingRootFingerprint);

    await waitFor(async () => (await send(ports.webOut, "catalog", { timeoutMs: 5000 }).catch(() => undefined))?.body === "catalog", "a request through both proxies", 20_000, 200);
    const stats = (await (await fetch(`http://127.0.0.1:${ports.catAdmin}/stats`)).json()) as { identity: { spiffeId: string } | null };
    expect(stats.identity?.spiffeId).toBe(`spiffe://${status.trustDomain}/ns/shop/sa/catalog`);

    const inventory = await waitFor(
      async () => {
        const view = await admin.identity.certificates.query({ cluster: "east" });
        const workloads = view.items.filter((i) => i.kind === "workload");
        return workloads.length === 2 && workloads;
      },
      "the manager's inventory to list the SVIDs",
      15_000,
      200,
    );
    expect(inventory.map((i) => i.spiffeId).sort()).toEqual(status.svids.map((s) => s.spiffeId).sort());
    expect(inventory.every((i) => i.rootFingerprint === trust.issuingRootFingerprint)).toBe(true);
    await waitFor(
      async () => {
        const s = ((await (await fetch(`http://127.0.0.1:${ports.agentAdmin}/status`)).json()) as { identity: IdentityStatus }).identity;
        return s.bundle?.ackedVersion === trust.bundleVersion;
      },
      "the bundle acknowledgement",
      15_000,
      200,
    );
    expect(agent.output()).not.toContain("PRIVATE KEY");
  });
});
