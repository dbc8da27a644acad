// Where the user last saw each service on the topology, remembered in the
// browser (localStorage), so a revisit draws the mesh as it was instead of
// laying it out anew: the operator's mental map survives a page change.
import type { Point } from "./topology-layout.ts";

export const POSITIONS_KEY = "weft.topology.positions.v1";
/** The most positions kept: a mesh larger than this is drawn with the grouped grid anyway. */
export const MAX_REMEMBERED = 2_000;

/** The storage the memory needs (window.localStorage, or a fake in tests). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const isPoint = (p: unknown): p is Point => typeof p === "object" && p !== null && Number.isFinite((p as Point).x) && Number.isFinite((p as Point).y);

/** The remembered positions; anything unreadable (another version's format, a full or blocked store) reads as none. */
export function loadPositions(store: KeyValueStore | null): Record<string, Point> {
  try {
    const raw = store?.getItem(POSITIONS_KEY);
    const parsed: unknown = raw ? JSON.parse(raw) : null;
    if (typeof parsed !== "object" || parsed === null) return {};
    return Object.fromEntries(Object.entries(parsed).filter(([, p]) => isPoint(p))) as Record<string, Point>;
  } catch {
    return {};
  }
}

/** Merges `positions` over what is remembered (newest win, at most MAX_REMEMBERED) and stores it. */
export function savePositions(store: KeyValueStore | null, positions: Record<string, Point>): void {
  if (!store) return;
  const merged = { ...loadPositions(store), ...positions };
  const entries = Object.entries(merged);
  const kept = entries.slice(Math.max(0, entries.length - MAX_REMEMBERED));
  try {
    store.setItem(POSITIONS_KEY, JSON.stringify(Object.fromEntries(kept.map(([id, p]) => [id, { x: Math.round(p.x), y: Math.round(p.y) }]))));
  } catch {
    // A full or blocked store: the layout is simply not remembered.
  }
}

/** The remembered positions of `ids` that are known, as the layout's fixed nodes (the layout places the others around them); null when none is known (then lay out anew). */
export function rememberedLayout(ids: readonly string[], remembered: Record<string, Point>): { nodeId: string; position: Point }[] | null {
  const fixed = ids.flatMap((id) => (remembered[id] ? [{ nodeId: id, position: remembered[id] }] : []));
  return fixed.length > 0 ? fixed : null;
}
