"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Fragment, useState } from "react";
import { toApiFailure } from "../../trpc/api-errors.ts";
import { useTRPC } from "../../trpc/context.ts";
import type { ChangeResultView } from "../../trpc/types.ts";
import { DataTable, DetailRow } from "../ui/data-table.tsx";
import { formatDateTime, formatRelative } from "../ui/format.ts";
import { Panel, QueryState } from "../ui/states.tsx";
import { StructuredDiff } from "./change-result.tsx";
import type { DiffEntryLike } from "./diff-model.ts";

type Ref = { kind: string; namespace: string; name: string };

/** Every revision of one resource, newest first, with one-click rollback to any earlier one. */
export function HistoryPanel({ resource, canEdit, onResult }: { resource: Ref; canEdit: boolean; onResult: (r: ChangeResultView) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const ref = { kind: resource.kind as "HTTPRoute", namespace: resource.namespace || undefined, name: resource.name };
  const history = useQuery(trpc.resources.history.queryOptions(ref));
  const [open, setOpen] = useState<number | null>(null);
  const rollback = useMutation(
    trpc.resources.rollback.mutationOptions({
      onSuccess: async (result) => {
        onResult(result);
        await queryClient.invalidateQueries({ queryKey: trpc.resources.pathKey() });
      },
    }),
  );
  const latest = history.data?.[0]?.revision;
  return (
    <Panel title="History" id="history-heading">
      {rollback.error ? (
        <p role="alert" className="field-error">
          Rollback failed: {toApiFailure(rollback.error).message}
        </p>
      ) : null}
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
                        onClick={() => rollback.mutate({ ...ref, toRevision: r.revision, message: `Roll back to revision ${r.revision}` })}
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
    </Panel>
  );
}
