// Hands a document to the policy editor without storing it anywhere but this
// browser tab: the service page's "propose from traffic" puts the proposal in
// sessionStorage and opens the editor with `draft=<id>`, where the usual
// validation, dry run and apply take over.

/** The part of Storage the drafts use (sessionStorage in the browser, a fake in tests). */
export type DraftStorage = Pick<Storage, "getItem" | "setItem">;

const PREFIX = "weft.policy-draft.";

/** Stores `document` and returns the id to put in the editor's URL. */
export function storeDraft(storage: DraftStorage, document: unknown, id: string = Math.random().toString(36).slice(2, 10)): string {
  storage.setItem(PREFIX + id, JSON.stringify(document));
  return id;
}

/** The stored draft with its kind, or null when it is gone or not a resource document. */
export function readDraft(storage: DraftStorage | null, id: string): { kind: string; document: unknown } | null {
  if (!storage || !/^[a-z0-9]{1,32}$/.test(id)) return null;
  try {
    const document = JSON.parse(storage.getItem(PREFIX + id) ?? "null") as unknown;
    const kind = (document as { kind?: unknown } | null)?.kind;
    return typeof kind === "string" ? { kind, document } : null;
  } catch {
    return null;
  }
}

/** The window of traffic a proposal looks at, in whole minutes within what the API takes (1 minute to 7 days). */
export function sinceMinutesOf(window: { from: Date; to: Date }, now: number): number {
  const minutes = Math.ceil((now - window.from.getTime()) / 60_000);
  return Math.min(7 * 24 * 60, Math.max(1, minutes));
}
