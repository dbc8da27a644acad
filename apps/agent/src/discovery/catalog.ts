// The in-memory catalog and the pure delta computation between two snapshots.
import { catalogKey, EMPTY_SNAPSHOT, type ReportedEndpoint, type ReportedService, type CatalogSnapshot, type ReportedWorkload } from "./catalog.schema.ts";

/** Changes of one kind of object. `removed` carries the last known object. */
export interface KindDelta<T> {
  added: T[];
  updated: T[];
  removed: T[];
}

export interface CatalogDelta {
  services: KindDelta<ReportedService>;
  workloads: KindDelta<ReportedWorkload>;
  endpoints: KindDelta<ReportedEndpoint>;
}

/** JSON with object keys sorted, so equal content compares equal whatever the key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

const byKey = <T>(key: (t: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

/**
 * Sorts every list (and each service's ports) and drops duplicates by key
 * (the last one wins), so two snapshots of the same world are identical.
 */
export function normalizeSnapshot(snapshot: CatalogSnapshot): CatalogSnapshot {
  const dedupe = <T>(items: T[], key: (t: T) => string) => [...new Map(items.map((i) => [key(i), i])).values()].sort(byKey(key));
  return {
    services: dedupe(
      snapshot.services.map((s) => ({ ...s, ports: [...s.ports].sort((a, b) => a.port - b.port || (a.name ?? "").localeCompare(b.name ?? "")) })),
      catalogKey.service,
    ),
    workloads: dedupe(snapshot.workloads, catalogKey.workload),
    endpoints: dedupe(snapshot.endpoints, catalogKey.endpoint),
  };
}

function diffKind<T>(before: readonly T[], after: readonly T[], key: (t: T) => string): KindDelta<T> {
  const old = new Map(before.map((t) => [key(t), t]));
  const delta: KindDelta<T> = { added: [], updated: [], removed: [] };
  for (const item of after) {
    const k = key(item);
    const prev = old.get(k);
    if (prev === undefined) delta.added.push(item);
    else if (canonicalJson(prev) !== canonicalJson(item)) delta.updated.push(item);
    old.delete(k);
  }
  delta.removed.push(...old.values());
  return delta;
}

/** What changed from `before` to `after`. Pure. */
export function diffCatalogs(before: CatalogSnapshot, after: CatalogSnapshot): CatalogDelta {
  return {
    services: diffKind(before.services, after.services, catalogKey.service),
    workloads: diffKind(before.workloads, after.workloads, catalogKey.workload),
    endpoints: diffKind(before.endpoints, after.endpoints, catalogKey.endpoint),
  };
}

/** Applies a delta to a snapshot: `applyDelta(a, diffCatalogs(a, b))` equals `b`. What the receiving side does. */
export function applyDelta(base: CatalogSnapshot, delta: CatalogDelta): CatalogSnapshot {
  const apply = <T>(items: readonly T[], d: KindDelta<T>, key: (t: T) => string) => {
    const map = new Map(items.map((i) => [key(i), i]));
    for (const r of d.removed) map.delete(key(r));
    for (const u of [...d.added, ...d.updated]) map.set(key(u), u);
    return [...map.values()];
  };
  return normalizeSnapshot({
    services: apply(base.services, delta.services, catalogKey.service),
    workloads: apply(base.workloads, delta.workloads, catalogKey.workload),
    endpoints: apply(base.endpoints, delta.endpoints, catalogKey.endpoint),
  });
}

export function isEmptyDelta(delta: CatalogDelta): boolean {
  return Object.values(delta).every((d: KindDelta<unknown>) => d.added.length + d.updated.length + d.removed.length === 0);
}

/** Counts per kind, for logs and /status. */
export function summarizeDelta(delta: CatalogDelta): Record<string, string> {
  return Object.fromEntries(Object.entries(delta).map(([kind, d]: [string, KindDelta<unknown>]) => [kind, `+${d.added.length} ~${d.updated.length} -${d.removed.length}`]));
}

type Listener = (snapshot: CatalogSnapshot, revision: number) => void;

/**
 * The agent's current view of its platform. Providers replace it wholesale;
 * the revision moves only when the content actually changed.
 */
export class Catalog {
  #snapshot: CatalogSnapshot = EMPTY_SNAPSHOT;
  #hash = canonicalJson(EMPTY_SNAPSHOT);
  #revision = 0;
  #listeners = new Set<Listener>();

  get snapshot(): CatalogSnapshot {
    return this.#snapshot;
  }

  get revision(): number {
    return this.#revision;
  }

  /** Replaces the content; returns whether anything changed. */
  replace(next: CatalogSnapshot): boolean {
    const normalized = normalizeSnapshot(next);
    const hash = canonicalJson(normalized);
    if (hash === this.#hash) return false;
    this.#snapshot = normalized;
    this.#hash = hash;
    this.#revision += 1;
    for (const listener of this.#listeners) listener(normalized, this.#revision);
    return true;
  }

  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  counts(): { services: number; workloads: number; endpoints: number; readyEndpoints: number } {
    const s = this.#snapshot;
    return { services: s.services.length, workloads: s.workloads.length, endpoints: s.endpoints.length, readyEndpoints: s.endpoints.filter((e) => e.ready).length };
  }
}
