// The edges an agent would report for callers of shop/checkout in one minute,
// per canary/stable version: what the rollout tests feed the controller.
import { LatencySketch } from "@weft/mesh-model/proxy-config";

const MINUTE = 60_000;

/** Requests from west's frontend to checkout in `cluster` during the minute of `now`, per version: [requests, failed]. */
export function checkoutEdges(byVersion: Record<string, [number, number]>, cluster: string, now: number) {
  return Object.entries(byVersion).flatMap(([version, [requests, failed]]) => {
    const edge = (codeClass: "2xx" | "5xx", n: number) => {
      const sketch = new LatencySketch();
      for (let i = 0; i < n; i++) sketch.add(5 + (i % 20));
      return { minute: Math.floor(now / MINUTE) * MINUTE, source: { cluster: "west", namespace: "shop", service: "frontend", version: "v1" }, destination: { cluster, namespace: "shop", service: "checkout", version }, codeClass, requests: n, errors: codeClass === "5xx" ? n : 0, latency: sketch.toJSON() };
    };
    return [edge("2xx", requests - failed), ...(failed ? [edge("5xx", failed)] : [])].filter((e) => e.requests > 0);
  });
}
