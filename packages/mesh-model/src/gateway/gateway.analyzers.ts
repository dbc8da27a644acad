import { type Finding, finding } from "../analysis/findings.ts";
import type { SnapshotIndex } from "../analysis/snapshot.ts";
import { formatPath } from "../common/issues.ts";
import { refOf, resourceKey } from "../resource/resource.schema.ts";
import type { Gateway } from "./gateway.schema.ts";

function clustersOverlap(a: Gateway, b: Gateway): boolean {
  const ca = a.spec.clusters;
  const cb = b.spec.clusters;
  if (!ca?.length || !cb?.length) return true;
  return ca.some((c) => cb.includes(c));
}

/**
 * WEFT4001: the same host (exactly; `*.example.com` and `api.example.com` do
 * not conflict, the more specific wins) on the same port claimed by two
 * Gateways of the same mode that can run in the same cluster. A listener
 * without hosts claims all hosts. TCP listeners claim the port, not hosts.
 */
export function analyzeGatewayHosts(index: SnapshotIndex): Finding[] {
  const out: Finding[] = [];
  const claims = new Map<string, { gateway: Gateway; listener: string }[]>();
  for (const gateway of index.ofKind("Gateway")) {
    const reported = new Set<string>();
    gateway.spec.listeners.forEach((listener, l) => {
      const hosts = listener.protocol === "TCP" || !listener.hosts?.length ? [undefined] : listener.hosts;
      hosts.forEach((host, h) => {
        const key = `${gateway.spec.mode}|${listener.port}|${host ?? "*"}`;
        const earlier = (claims.get(key) ?? []).filter((c) => c.gateway !== gateway && clustersOverlap(c.gateway, gateway));
        const first = earlier[0];
        if (first && !reported.has(key)) {
          reported.add(key);
          const what = host === undefined ? (listener.protocol === "TCP" ? `TCP port ${listener.port}` : `all hosts on port ${listener.port}`) : `host "${host}" on port ${listener.port}`;
          out.push(
            finding(
              "WEFT4001",
              refOf(gateway),
              formatPath(host === undefined ? ["spec", "listeners", l] : ["spec", "listeners", l, "hosts", h]),
              `${what} is already claimed by listener "${first.listener}" of ${gateway.spec.mode} ${resourceKey(refOf(first.gateway))}`,
              earlier.map((c) => refOf(c.gateway)),
            ),
          );
        }
        claims.set(key, [...(claims.get(key) ?? []), { gateway, listener: listener.name }]);
      });
    });
  }
  return out;
}
