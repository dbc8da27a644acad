// GitOps pruning (`weft apply -f DIR --prune --selector app=shop`): a folder
// is the whole truth for the resources its selector covers, so what it no
// longer declares is deleted, in the same change as what it applies. Pure:
// the live resources and the folder in, the deletions (or the documents that
// break the rule) out.
import { refOf, resourceKey, type Resource, type ResourceRef, type ValidationIssue } from "@weft/mesh-model";
import type { StoredResource } from "./resources.repository.ts";

/** Equality label selector: every key must be present with that value. */
export type LabelSelector = Readonly<Record<string, string>>;

export function matchesSelector(labels: Readonly<Record<string, string>> | undefined, selector: LabelSelector): boolean {
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

export function formatSelector(selector: LabelSelector): string {
  return Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

/**
 * The deletions of a prune: live resources the selector covers that the
 * declared documents do not name, sorted; or, when a declared document does
 * not carry the selector's labels, an issue for each such document (the next
 * prune would delete what this one creates, so nothing is done).
 */
export function planPrune(live: readonly StoredResource[], declared: readonly Resource[], selector: LabelSelector): { ok: true; deletions: ResourceRef[] } | { ok: false; issues: ValidationIssue[] } {
  const issues = declared.flatMap((resource, document) =>
    matchesSelector(resource.metadata.labels, selector)
      ? []
      : [{ path: "metadata.labels", message: `${resourceKey(refOf(resource))} does not carry the prune selector's labels (${formatSelector(selector)}): a later prune of this folder would delete it`, code: "prune_selector_mismatch", document }],
  );
  if (issues.length > 0) return { ok: false, issues };
  const keep = new Set(declared.map((r) => resourceKey(refOf(r))));
  const deletions = live
    .filter((r) => r.document && !r.deleted && matchesSelector(r.document.metadata.labels, selector))
    .map((r) => refOf(r.document as Resource))
    .filter((ref) => !keep.has(resourceKey(ref)))
    .sort((a, b) => resourceKey(a).localeCompare(resourceKey(b)));
  return { ok: true, deletions };
}
