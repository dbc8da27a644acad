"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useSearchParams } from "next/navigation";
import { Fragment, useEffect, useState } from "react";
import { toApiFailure } from "../../trpc/api-errors.ts";
import { useTRPC } from "../../trpc/context.ts";
import { refreshAfterChange } from "../../trpc/refresh.ts";
import type { ChangeResultView } from "../../trpc/types.ts";
import { DataTable, DetailRow } from "../ui/data-table.tsx";
import { formatDateTime, formatRelative } from "../ui/format.ts";
import { Panel, QueryState } from "../ui/states.tsx";
import { ConfirmDialog } from "../certificates/confirm-dialog.tsx";
import { StructuredDiff, TextDiff } from "./change-result.tsx";
import type { DiffEntryLike } from "./diff-model.ts";

type Ref = { kind: string; namespace: string; name: string };

/**
 * Every revision of one resource, newest first, with rollback to any earlier
 * one: the rollback is previewed first (a dry run: the diff from now back to
 * that revision) and needs a message before it goes through.
 */
export function HistoryPanel({ resource, canEdit, onResult }: { resource: Ref; canEdit: boolean; onResult: (r: ChangeResultView) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const ref = { kind: resource.kind as "HTTPRoute", namespace: resource.namespace || undefined, name: resource.name };
  const history = useQuery(trpc.resources.history.queryOptions(ref));
  // A link to one revision (`?revision=3`, from the topology replay or a ticket) opens with its diff shown.
  const linked = Number(useSearchParams().get("revision") ?? "");
  const [open, setOpen] = useState<number | null>(Number.isInteger(linked) && linked > 0 ? linked : null);
  const loaded = history.data !== undefined;
  useEffect(() => {
    if (loaded && Number.isInteger(linked) && linked > 0) document.querySelector(`[data-testid="history-row"][data-revision="${linked}"]`)?.scrollIntoView({ block: "center" });
  }, [loaded, linked]);
  const [confirming, setConfirming] = useState<number | null>(null);
  const [message, setMessage] = useState("");
  const preview = useMutation(trpc.resources.rollback.mutationOptions());
  const rollback = useMutation(
    trpc.resources.rollback.mutationOptions({
      onSuccess: async (result) => {
        setConfirming(null);
        onResult(result);
        await refreshAfterChange(queryClient, { queryKey: trpc.resources.pathKey() });
      },
    }),
  );
  const ask = (revision: number) => {
    setConfirming(revision);
    setMessage(`Roll back to revision ${revision}`);
    rollback.reset();
    preview.mutate({ ...ref, toRevision: revision, dryRun: true });
  };
  const previewChange = preview.data?.changes[0];
  const latest = history.data?.[0]?.revision;
  return (
    <Panel title="History" id="history-heading">
      <QueryState query={history} what="history" isEmpty={(d) => d.length === 0}>
        {(revisions) => (
          <DataTable columns={["Rev", "Change", "Author", "When", "Message", { label: "Actions", hidden: true }]} testId="history">
            {revisions.map((r) => (
              <Fragment key={r.revision}>
                <tr data-testid="history-row" data-revision={r.revision}>
                  <td>{r.revision}</td>
                  <td>
                    {r.action}
                    {r.changeRequestId ? <span className="muted"> (approved request)</span> : null}
                  </td>
                  <td>{r.authorName}</td>
                  <td title={formatDateTime(r.createdAt)}>{formatRelative(r.createdAt, Date.now())}</td>
                  <td>{r.message || <span className="muted">—</span>}</td>
                  <td className="row">
                    <button type="button" className="btn btn-small" aria-expanded={open === r.revision} onClick={() => setOpen(open === r.revision ? null : r.revision)}>
                      {open === r.revision ? "Hide diff" : "Diff"}
                    </button>
                    {canEdit && r.revision !== latest && r.document ? (
                      <button
                        type="button"
                        className="btn btn-small"
                        disabled={rollback.isPending}
                        data-testid="rollback"
                        onClick={() => ask(r.revision)}
                      >
                        Roll back to rev {r.revision}
                      </button>
                    ) : null}
                  </td>
                </tr>
                {open === r.revision ? (
                  <DetailRow span={6}>
                    <StructuredDiff entries={r.diff as DiffEntryLike[]} />
                  </DetailRow>
                ) : null}
              </Fragment>
            ))}
          </DataTable>
        )}
      </QueryState>
      <ConfirmDialog
        open={confirming !== null}
        title={`Roll back to revision ${confirming ?? ""}?`}
        confirmLabel="Roll back"
        danger
        busy={rollback.isPending || preview.isPending || message.trim() === "" || !preview.data}
        onCancel={() => setConfirming(null)}
        onConfirm={() => confirming !== null && rollback.mutate({ ...ref, toRevision: confirming, message: message.trim() })}
      >
        <div data-testid="rollback-confirm" className="stack">
          {preview.isPending ? <p role="status">Previewing the rollback…</p> : null}
          {preview.error ? <p role="alert" className="field-error">Cannot preview: {toApiFailure(preview.error).message}</p> : null}
          {previewChange ? (
            <>
              <p>This is what changes from the current revision:</p>
              <StructuredDiff entries={previewChange.diff as DiffEntryLike[]} />
              {previewChange.textDiff ? <TextDiff patch={previewChange.textDiff} label={`${resource.kind}/${resource.name}`} /> : null}
            </>
          ) : preview.data ? (
            <p className="muted">No changes: the current revision already matches.</p>
          ) : null}
          <label className="field">
            <span className="field-label">Change message (required)</span>
            <input value={message} onChange={(e) => setMessage(e.target.value)} maxLength={2000} required data-testid="rollback-message" />
          </label>
          {rollback.error ? <p role="alert" className="field-error">Rollback failed: {toApiFailure(rollback.error).message}</p> : null}
        </div>
      </ConfirmDialog>
    </Panel>
  );
}
