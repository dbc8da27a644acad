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

/**
 * The config stream read as bytes off the wire (fetch, no tRPC client): each
 * config event's `data:` line exactly as the manager wrote it, with its id.
 */
export function openRawConfigStream(url: string, credential: string) {
  const controller = new AbortController();
  const events: { id: string; line: Buffer }[] = [];
  const waiters: (() => void)[] = [];
  const done = (async () => {
    const res = await fetch(`${url}/trpc/agent.configStream?input=${encodeURIComponent(JSON.stringify({ json: {} }))}`, {
      headers: { authorization: `Bearer ${credential}`, accept: "text/event-stream" },
      signal: controller.signal,
    });
    let buffered = Buffer.alloc(0);
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffered = Buffer.concat([buffered, chunk]);
      // Events end with a blank line; only `data:` lines that hold a config (not `connected`, pings) are kept.
      for (let end = buffered.indexOf("\n\n"); end !== -1; end = buffered.indexOf("\n\n")) {
        const event = buffered.subarray(0, end);
        buffered = buffered.subarray(end + 2);
        const lines = event.toString("utf8").split("\n");
        const id = lines.find((l) => l.startsWith("id: "))?.slice(4);
        const dataAt = event.indexOf("data: ");
        if (id === undefined || dataAt === -1) continue;
        events.push({ id, line: Buffer.from(event.subarray(dataAt, event.indexOf("\n", dataAt))) });
        waiters.shift()?.();
      }
    }
  })().catch((err: unknown) => {
    if (!controller.signal.aborted) throw err;
  });
  return {
    async next(timeoutMs = 5_000): Promise<{ id: string; line: Buffer }> {
      if (events.length === 0)
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no config event within ${timeoutMs} ms`)), timeoutMs);
          waiters.push(() => (clearTimeout(timer), resolve()));
        });
      return events.shift()!;
    },
    close: () => {
      controller.abort();
      return done;
    },
  };
}
