// Agent-side test helpers: a config stream subscription as a queue, and discovery reports.
import type { ClusterConfig, DiscoverySnapshot } from "@weft/mesh-model";
import type { ApiClient } from "../src/testing.ts";

export interface ConfigEvent {
  id: string;
  data: ClusterConfig;
}

/** Subscribes to the config stream; `next()` resolves with the next snapshot (or rejects after `timeoutMs`). */
export function openConfigStream(client: ApiClient, lastEventId?: string) {
  const queue: ConfigEvent[] = [];
  const waiters: ((e: ConfigEvent) => void)[] = [];
  const errors: Error[] = [];
  const sub = client.agent.configStream.subscribe(lastEventId !== undefined ? { lastEventId } : {}, {
    onData(event) {
      const e = event as unknown as ConfigEvent;
      const waiter = waiters.shift();
      if (waiter) waiter(e);
      else queue.push(e);
    },
    onError(err) {
      errors.push(err);
    },
  });
  return {
    errors,
    pending: () => queue.length,
    next(timeoutMs = 5_000): Promise<ConfigEvent> {
      const ready = queue.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(onEvent), 1);
          reject(new Error(`no config snapshot within ${timeoutMs} ms${errors.length ? ` (errors: ${errors.map((e) => e.message).join("; ")})` : ""}`));
        }, timeoutMs);
        const onEvent = (e: ConfigEvent) => {
          clearTimeout(timer);
          resolve(e);
        };
        waiters.push(onEvent);
      });
    },
    close: () => sub.unsubscribe(),
  };
}

/** A cluster with `services` (namespace shop), one workload and endpoint per version. */
export function discoverySnapshot(seq: number, services: { name: string; versions: string[]; zone?: string }[], gateway: DiscoverySnapshot["gateway"] = null): DiscoverySnapshot {
  let ip = 1;
  return {
    seq,
    gateway,
    services: services.map((s) => ({ namespace: "shop", name: s.name, ports: [{ name: "http", port: 8080, protocol: "http" as const }] })),
    workloads: services.flatMap((s) => s.versions.map((v) => ({ namespace: "shop", name: `${s.name}-${v}`, serviceAccount: s.name, version: v, ...(s.zone ? { zone: s.zone } : {}) }))),
    endpoints: services.flatMap((s) => s.versions.map((v) => ({ namespace: "shop", service: s.name, address: `10.1.0.${ip++}`, port: 8080, protocol: "http" as const, ready: true, workload: `${s.name}-${v}` }))),
  };
}
