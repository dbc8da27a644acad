// A canary rollout ready to start: catalog v1 → v2 in east (v2 fails 3 % of
// its requests, so the analysis — at least 99 % success, at most one point
// below v1 — rolls it back by itself within a couple of intervals). Written
// to the demo's folder on every start; nothing runs until someone starts it
// (`weft rollout start -f .weft/demo/rollout-catalog-v2.yaml`, or the
// dashboard's rollout wizard).
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DEMO_NAMESPACE } from "./demo-topology.ts";

export const DEMO_ROLLOUT = `apiVersion: weft.io/v1alpha1
kind: Rollout
metadata: { name: catalog, namespace: ${DEMO_NAMESPACE} }
spec:
  service: { name: catalog }
  stable: { version: v1 }
  canary: { version: v2 }
  # v2 runs in east only: west keeps calling v1.
  clusters: [east]
  strategy:
    canary:
      steps: [{ setWeight: 25 }, { setWeight: 50 }, { setWeight: 100 }]
  # At 5 requests/s a 30 s interval at 25 % sees about 40 canary requests.
  analysis: { interval: 30s, threshold: 2, minRequests: 20 }
`;

/** Writes the demo Rollout into the demo's folder; returns its path. */
export async function writeDemoRollout(dir: string): Promise<string> {
  const file = join(dir, "rollout-catalog-v2.yaml");
  await writeFile(file, DEMO_ROLLOUT);
  return file;
}
