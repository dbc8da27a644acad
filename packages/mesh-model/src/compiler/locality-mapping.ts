// A TrafficPolicy's explicit locality settings (failover order, weighted
// distribution) resolved for one caller: the compiler knows the caller's
// cluster and zone, so the proxy gets only the entry that applies to it.
import type { BackendPolicy, LocalityWeight } from "../proxy-config/proxy-backends.schema.ts";
import { compareText } from "./diagnostics.ts";
import type { EffectivePolicy } from "./policy-mapping.ts";

/** Where the caller runs. */
export interface CallerLocality {
  cluster: string;
  zone?: string | undefined;
}

/** "cluster" or "cluster/zone" as a locality. */
function parseLocality(name: string): { cluster: string; zone?: string } {
  const slash = name.indexOf("/");
  return slash < 0 ? { cluster: name } : { cluster: name.slice(0, slash), zone: name.slice(slash + 1) };
}

/**
 * The proxy's locality settings for a caller: the failover entry from its
 * cluster becomes `localityOrder`; the distribute entry for its zone (or else
 * its cluster) becomes `localityDistribution`, zone entries first so an
 * endpoint counts for its zone's weight before its cluster's. Nothing when no
 * entry is for this caller or locality is off.
 */
export function localityPreference(policy: EffectivePolicy, caller: CallerLocality): Pick<BackendPolicy, "localityOrder" | "localityDistribution"> {
  if (!policy.localityFailover || !policy.locality) return {};
  const { failover, distribute } = policy.locality;
  const order = failover?.find((f) => f.from === caller.cluster)?.to;
  if (order) return { localityOrder: order };
  const mine =
    (caller.zone !== undefined ? distribute?.find((d) => d.from === `${caller.cluster}/${caller.zone}`) : undefined) ?? distribute?.find((d) => d.from === caller.cluster);
  if (!mine) return {};
  const weights: LocalityWeight[] = Object.entries(mine.to).map(([name, weight]) => ({ ...parseLocality(name), weight }));
  weights.sort((a, b) => Number(b.zone !== undefined) - Number(a.zone !== undefined) || compareText(a.cluster, b.cluster) || compareText(a.zone ?? "", b.zone ?? ""));
  return { localityDistribution: weights };
}
