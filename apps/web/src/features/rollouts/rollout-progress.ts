// Live progress of a rollout per cluster: which wave each cluster is in and
// the canary's share of its callers' requests now.
import { canaryShare, type RolloutPlan, type Traffic } from "@weft/mesh-model";

export interface ClusterProgress {
  cluster: string;
  wave: number;
  /** The canary's share of live requests; null for A/B (only matching requests). */
  weight: number | null;
  mode: Traffic["mode"];
  /** The cluster's wave is the one the rollout is working on. */
  current: boolean;
}

/**
 * One row per cluster the service runs in. A rollout without waves or
 * clusters covers every cluster: they all share wave 0's traffic.
 */
export function clusterProgress(plan: Pick<RolloutPlan, "waves">, traffic: readonly Traffic[] | null, currentWave: number, clusters: readonly string[]): ClusterProgress[] {
  const waveOf = (cluster: string) => {
    const w = plan.waves.findIndex((wave) => wave.clusters === null || wave.clusters.includes(cluster));
    return w;
  };
  return [...clusters]
    .sort()
    .map((cluster) => {
      const wave = waveOf(cluster);
      const t: Traffic = wave >= 0 ? (traffic?.[wave] ?? { mode: "stable" }) : { mode: "stable" };
      return { cluster, wave, weight: canaryShare(t), mode: t.mode, current: wave === currentWave };
    });
}

/** "20 %", "A/B", "mirror 100 %", "stable", "canary". */
export function describeTraffic(t: { mode: Traffic["mode"]; weight: number | null }, mirrorPercent?: number): string {
  switch (t.mode) {
    case "stable":
      return "stable (0 %)";
    case "canary":
      return "canary (100 %)";
    case "match":
      return "A/B (matching requests)";
    case "mirror":
      return `mirror${mirrorPercent !== undefined ? ` ${mirrorPercent} %` : ""} (0 % live)`;
    case "weighted":
      return `${t.weight} %`;
  }
}
