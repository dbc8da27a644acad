// How the topology shows service export (Mesh spec.multicluster.export,
// issue 12): the state that picks a service's ring and the side panel's words.
import type { RouterOutputs } from "../../trpc/types.ts";

/** A service's export status as telemetry.edges returns it (Mesh spec.multicluster.export). */
export type ExportMark = RouterOutputs["telemetry"]["edges"]["exports"][number];

/**
 * How the topology marks a service: `exported` (other clusters may reach it),
 * `not-exported` (other clusters call it but cannot reach it: the calls fail
 * 503), `none` (not exported and nobody elsewhere calls it, or no other
 * cluster exists: nothing to show).
 */
export type ExportState = "exported" | "not-exported" | "none";

/** The mark a service gets on the canvas. */
export function exportStateOf(mark: ExportMark | undefined): ExportState {
  if (!mark) return "none";
  if (mark.exported) return mark.to.length > 0 ? "exported" : "none";
  return mark.calledFrom.length > 0 ? "not-exported" : "none";
}

/**
 * The side panel's words: "exported to: all clusters" (mode All),
 * "exported to: west" (Selected: the clusters that may reach it), "not
 * exported" (with who calls it in vain, when someone does).
 */
export function exportText(mark: ExportMark): string {
  if (mark.exported) {
    if (mark.to.length === 0) return "exported (no other cluster yet)";
    return mark.mode === "All" ? "exported to: all clusters" : `exported to: ${mark.to.join(", ")}`;
  }
  if (mark.calledFrom.length === 0) return "not exported";
  return `not exported — called from ${mark.calledFrom.join(", ")}; those calls fail (503 UH)`;
}
