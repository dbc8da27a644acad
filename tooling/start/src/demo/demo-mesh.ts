// The demo's Mesh resource: STRICT mTLS, a tenth of the requests traced, and
// (once discovery knows them) which services other clusters may reach.
import { DEMO_NAMESPACE, type DemoCluster } from "./demo-topology.ts";
import type { ManagerApi } from "./manager-api.ts";

/**
 * The demo services other clusters may reach: those whose every instance
 * runs behind a proxy. inventory runs outside the mesh (no proxy) in both
 * clusters; another cluster's east-west gateway only passes mTLS through to a
 * proxy, so it could never reach it, and exporting it would earn each of its
 * callers a true `unreachable_endpoint` warning. Callers use their own
 * cluster's inventory.
 */
export function demoExports(clusters: readonly DemoCluster[]): string[] {
  const instances = clusters.flatMap((c) => c.instances);
  return [...new Set(instances.map((i) => i.service))].filter((service) => instances.every((i) => i.service !== service || i.proxy !== undefined)).sort();
}

/** The demo's Mesh: the mesh's own trust domain, STRICT mTLS, 10 % trace sampling; with `exported`, only those services are exported. */
export function demoMesh(trustDomain: string, exported?: readonly string[]) {
  return {
    apiVersion: "weft.io/v1alpha1",
    kind: "Mesh",
    metadata: { name: "default" },
    spec: {
      trustDomain,
      mtls: { mode: "STRICT" },
      tracing: { sampleRate: 0.1 },
      ...(exported && { multicluster: { export: { mode: "Selected", services: exported.map((name) => ({ namespace: DEMO_NAMESPACE, name })) } } }),
    },
  } as const;
}

/** Applies the demo's Mesh (without exports: nothing is discovered yet, and an export must name a known service, WEFT7001). */
export async function applyDemoMesh(api: ManagerApi): Promise<void> {
  const { trustDomain } = await api.query<{ trustDomain: string }>("mesh.status");
  await api.mutation("resources.applyDocuments", { text: JSON.stringify(demoMesh(trustDomain)), message: "demo: trace 10 % of requests" });
}

/**
 * Exports the demo's meshed services (`demoExports`) once discovery knows
 * them (a dry run is blocked while one is unknown). Gives up quietly after
 * `timeoutMs`: the demo then runs with everything exported.
 */
export async function exportDemoServices(api: ManagerApi, clusters: readonly DemoCluster[], options: { log: (line: string) => void; timeoutMs?: number }): Promise<void> {
  const { trustDomain } = await api.query<{ trustDomain: string }>("mesh.status");
  const exported = demoExports(clusters);
  const text = JSON.stringify(demoMesh(trustDomain, exported));
  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  for (;;) {
    const dry = await api.mutation<{ status: string }>("resources.applyDocuments", { text, dryRun: true });
    if (dry.status !== "blocked" && dry.status !== "invalid") break;
    if (Date.now() > deadline) {
      options.log(`demo: services not exported (${exported.join(", ")} were not discovered in time); everything stays exported`);
      return;
    }
    await new Promise((r) => setTimeout(r, 2_000));
  }
  await api.mutation("resources.applyDocuments", { text, message: `demo: export the meshed services (${exported.join(", ")}); inventory has no proxy, so other clusters could not reach it` });
  options.log(`demo: exported ${exported.map((s) => `${DEMO_NAMESPACE}/${s}`).join(", ")} to the other cluster`);
}
