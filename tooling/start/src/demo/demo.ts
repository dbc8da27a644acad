// The demo npm start runs after the manager and the dashboard: two clusters,
// `east` and `west`, each with an agent in universal mode that runs the
// proxies of a small shop application, plus a traffic generator.
//
// Bootstrap: the supervisor signs in as the first admin with the password
// the manager keeps in $WEFT_HOME/initial-admin-password (the same a person
// would use on first sign-in), creates each cluster (or a new join token for
// one that exists but whose agent state is gone) and hands the one-time token
// to the agent through its environment (never argv: ps shows argv). Later
// starts reuse the agents' stored credentials and need no password at all,
// so changing the admin password does not break the demo.
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startChild, type Child } from "../processes.ts";
import { writeDemoRollout } from "./demo-rollout.ts";
import { inboxSecret, seedDemoSlos } from "./demo-slos.ts";
import { applyDemoMesh, exportDemoServices } from "./demo-mesh.ts";
import { demoTopology, universalFile, type DemoCluster } from "./demo-topology.ts";
import { ManagerApi } from "./manager-api.ts";

export interface DemoOptions {
  root: string;
  home: string;
  apiUrl: string;
  portBase: number;
  rps: number;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  /** Registers a child with the supervisor (stopped in reverse order; an unexpected exit stops the platform). */
  watch: (child: Child) => Child;
}

export interface RunningDemo {
  clusters: DemoCluster[];
}

/** A join token for `name`: a new cluster, or a fresh token for an existing one. */
export async function joinToken(api: ManagerApi, name: string): Promise<string> {
  const existing = (await api.query<{ id: string; name: string }[]>("clusters.list")).find((c) => c.name === name);
  if (existing) return (await api.mutation<{ joinToken: string }>("clusters.createJoinToken", { id: existing.id })).joinToken;
  return (await api.mutation<{ joinToken: string }>("clusters.create", { name })).joinToken;
}

export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const { root, home, log } = options;
  const dir = join(home, "demo");
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const clusters = demoTopology(options.portBase, options.rps);
  await writeDemoRollout(dir);
  const topologyFile = join(dir, "topology.json");
  await writeFile(topologyFile, `${JSON.stringify(clusters, null, 2)}\n`);

  let api: ManagerApi | undefined;
  const tokens = new Map<string, string>();
  for (const cluster of clusters) {
    if (existsSync(join(dir, cluster.name, "agent", "credentials.json"))) continue;
    if (!existsSync(join(home, "initial-admin-password"))) {
      throw new Error(`cannot join the demo cluster ${cluster.name}: ${join(home, "initial-admin-password")} is gone; start with WEFT_DEMO=0, or remove ${dir} and the clusters to recreate them`);
    }
    api ??= await ManagerApi.asFirstAdmin(options.apiUrl, home);
    tokens.set(cluster.name, await joinToken(api, cluster.name));
  }
  // First start only (later changes are the operator's): the demo mesh traces a tenth of its requests,
  // so the service pages' trace views fill within a minute.
  if (api) await applyDemoMesh(api);

  options.watch(
    startChild({
      name: "demo-app",
      command: process.execPath,
      args: ["--import", "tsx", join(root, "tooling/start/src/demo/demo-apps.ts"), topologyFile],
      cwd: root,
      env: options.env,
      output: log,
    }),
  );

  // The bundled proxy needs about half the memory of the TypeScript one; use it when built.
  const bundled = join(root, "packages/proxy/dist/weft-proxy.mjs");
  for (const cluster of clusters) {
    const clusterDir = join(dir, cluster.name);
    await mkdir(clusterDir, { recursive: true, mode: 0o700 });
    const file = join(clusterDir, "universal.yaml");
    await writeFile(file, universalFile(cluster));
    const token = tokens.get(cluster.name);
    options.watch(
      startChild({
        name: `agent-${cluster.name}`,
        command: process.execPath,
        args: [
          join(root, "apps/agent/bin/weft-agent.js"),
          "--manager",
          options.apiUrl,
          "--cluster",
          cluster.name,
          "--mode",
          "universal",
          "--universal-file",
          file,
          "--state-dir",
          join(clusterDir, "agent"),
          "--admin-port",
          String(cluster.agentAdminPort),
          "--log-level",
          "warn",
          ...(existsSync(bundled) ? ["--proxy-bin", bundled] : []),
        ],
        cwd: root,
        env: { ...options.env, ...(token && { WEFT_JOIN_TOKEN: token }) },
        output: log,
      }),
    );
  }
  // The built-in notification channel's receiver, and (first start only) the demo SLOs once discovery knows the services.
  const inboxPort = options.portBase + 250;
  options.watch(
    startChild({
      name: "demo-inbox",
      command: process.execPath,
      args: ["--import", "tsx", join(root, "tooling/start/src/demo/demo-inbox.ts"), String(inboxPort)],
      cwd: root,
      env: { ...options.env, WEFT_DEMO_INBOX_SECRET: await inboxSecret(dir) },
      output: log,
    }),
  );
  if (api) void exportDemoServices(api, clusters, { log }).catch((err: unknown) => log(`demo: services not exported: ${err instanceof Error ? err.message : String(err)}`));
  if (api) void seedDemoSlos(api, { inboxUrl: `http://127.0.0.1:${inboxPort}/weft`, secret: await inboxSecret(dir), log }).catch((err: unknown) => log(`demo: SLOs not created: ${err instanceof Error ? err.message : String(err)}`));
  return { clusters };
}
