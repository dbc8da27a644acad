"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";
import { toApiFailure } from "../../trpc/api-errors.ts";
import { useTRPC } from "../../trpc/context.ts";
import { refreshAfterChange } from "../../trpc/refresh.ts";
import { StructuredDiff, TextDiff } from "../policy-editor/change-result.tsx";
import type { DiffEntryLike } from "../policy-editor/diff-model.ts";
import { useSession } from "../shell/session.tsx";
import { DataTable } from "../ui/data-table.tsx";
import { formatDateTime, formatRelative } from "../ui/format.ts";
import { Empty, Panel, QueryState } from "../ui/states.tsx";
import { ProtectedNamespaces } from "./protected-namespaces.tsx";

const STATUSES = ["PENDING", "APPLIED", "REJECTED"] as const;
type Status = (typeof STATUSES)[number];
const TONE: Record<Status, string> = { PENDING: "warning", APPLIED: "ok", REJECTED: "critical" };

function Review({ id }: { id: string }) {
  const trpc = useTRPC();
  const session = useSession();
  const queryClient = useQueryClient();
  const [reason, setReason] = useState("");
  const query = useQuery(trpc.changeRequests.byId.queryOptions({ id }));
  const done = async () => {
    await refreshAfterChange(queryClient, { queryKey: trpc.changeRequests.pathKey() });
    await refreshAfterChange(queryClient, { queryKey: trpc.resources.pathKey() });
  };
  const approve = useMutation(trpc.changeRequests.approve.mutationOptions({ onSuccess: done }));
  const reject = useMutation(trpc.changeRequests.reject.mutationOptions({ onSuccess: done }));
  const error = approve.error ?? reject.error;
  return (
    <Panel title="Review" id="review-heading">
      <QueryState query={query} what="the change request">
        {(cr) => {
          const own = cr.authorId === session.me.user.id;
          const mayDecide = cr.status === "PENDING" && !own && cr.namespaces.every((ns) => session.canEdit(ns));
          return (
            <div className="stack" data-testid="change-request-review">
              <dl className="facts">
                <dt>Status</dt>
                <dd>
                  <span className="badge" data-tone={TONE[cr.status]}>
                    {cr.status.toLowerCase()}
                  </span>
                </dd>
                <dt>Author</dt>
                <dd>{cr.authorName}</dd>
                <dt>Requested</dt>
                <dd>{formatDateTime(cr.createdAt)}</dd>
                <dt>Namespaces</dt>
                <dd>{cr.namespaces.join(", ")}</dd>
                <dt>Message</dt>
                <dd>{cr.message || "—"}</dd>
                {cr.deciderName ? (
                  <>
                    <dt>Decided by</dt>
                    <dd>
                      {cr.deciderName} {cr.decisionReason ? `— ${cr.decisionReason}` : ""}
                    </dd>
                  </>
                ) : null}
              </dl>
              {cr.changes.map((c) => (
                <div key={`${c.ref.kind}/${c.ref.namespace ?? ""}/${c.ref.name}`} className="stack">
                  <h3>
                    {c.action} {c.ref.kind} {c.ref.namespace}/{c.ref.name}
                  </h3>
                  <StructuredDiff entries={c.diff as DiffEntryLike[]} />
                  {c.textDiff ? <TextDiff patch={c.textDiff} label={`${c.ref.kind}/${c.ref.name}`} /> : null}
                </div>
              ))}
              {own && cr.status === "PENDING" ? <p className="notice">You wrote this request: another operator must approve it.</p> : null}
              {mayDecide ? (
                <div className="stack">
                  <label className="field">
                    <span className="field-label">Reason (optional)</span>
                    <input value={reason} onChange={(e) => setReason(e.target.value)} />
                  </label>
                  <div className="row">
                    <button type="button" className="btn btn-primary" disabled={approve.isPending} onClick={() => approve.mutate({ id, ...(reason ? { reason } : {}) })}>
                      Approve and apply
                    </button>
                    <button type="button" className="btn btn-danger" disabled={reject.isPending} onClick={() => reject.mutate({ id, ...(reason ? { reason } : {}) })}>
                      Reject
                    </button>
                  </div>
                </div>
              ) : null}
              {error ? (
                <p role="alert" className="field-error">
                  {toApiFailure(error).message}
                </p>
              ) : null}
            </div>
          );
        }}
      </QueryState>
    </Panel>
  );
}

/** Changes held for approval in protected namespaces; another operator approves or rejects them. */
export function ChangeRequestsPage() {
  const trpc = useTRPC();
  const params = useSearchParams();
  const router = useRouter();
  const selected = params.get("id");
  const statusParam = params.get("status");
  const status = (STATUSES as readonly string[]).includes(statusParam ?? "") ? (statusParam as Status) : undefined;
  const query = useQuery(trpc.changeRequests.list.queryOptions({ limit: 100, ...(status ? { status } : {}) }, { refetchInterval: 15_000 }));
  const go = (patch: Record<string, string | null>) => {
    const next = new URLSearchParams(params.toString());
    for (const [k, v] of Object.entries(patch)) if (v) next.set(k, v);
    else next.delete(k);
    router.replace(`/change-requests?${next.toString()}`, { scroll: false });
  };
  return (
    <>
      <h1>Change requests</h1>
      <form className="toolbar" aria-label="Change request filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select value={status ?? ""} onChange={(e) => go({ status: e.target.value || null })}>
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.toLowerCase()}
              </option>
            ))}
          </select>
        </label>
      </form>
      <div className="grid-2">
        <Panel title="Requests" id="requests-heading">
          <QueryState query={query} what="change requests" isEmpty={(d) => d.length === 0} empty={<Empty title="No change requests">Changes to protected namespaces by non-admins wait here for approval.</Empty>}>
            {(list) => (
              <DataTable columns={["Status", "Resources", "Author", "When"]} testId="change-requests">
                {list.map((cr) => (
                  <tr key={cr.id} aria-selected={selected === cr.id}>
                    <td>
                      <span className="badge" data-tone={TONE[cr.status]}>
                        {cr.status.toLowerCase()}
                      </span>
                    </td>
                    <td>
                      <button type="button" className="btn btn-small" onClick={() => go({ id: cr.id })}>
                        {cr.changes.map((c) => `${c.ref.kind} ${c.ref.namespace}/${c.ref.name}`).join(", ") || cr.id.slice(0, 8)}
                      </button>
                    </td>
                    <td>{cr.authorName}</td>
                    <td>{formatRelative(cr.createdAt, Date.now())}</td>
                  </tr>
                ))}
              </DataTable>
            )}
          </QueryState>
        </Panel>
        {selected ? <Review id={selected} /> : <Empty title="Select a request to review its diff" />}
      </div>
      <ProtectedNamespaces />
    </>
  );
}
