"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { toApiFailure } from "../../trpc/api-errors.ts";
import { useTRPC } from "../../trpc/context.ts";
import { refreshAfterChange } from "../../trpc/refresh.ts";
import { useSession } from "../shell/session.tsx";
import { DataTable } from "../ui/data-table.tsx";
import { formatDateTime } from "../ui/format.ts";
import { Empty, Panel, QueryState } from "../ui/states.tsx";

function MutationError({ error, id }: { error: unknown; id?: string }) {
  if (!error) return null;
  const f = toApiFailure(error);
  return (
    <p role="alert" className="field-error" id={id}>
      {f.fieldErrors.length ? f.fieldErrors.map((e) => e.message).join("; ") : f.message}
    </p>
  );
}

/**
 * Namespaces whose changes by non-admins wait for another operator's approval.
 * Everyone sees the list (it explains why their change became a request);
 * only admins get the controls, as only they may change it.
 */
export function ProtectedNamespaces() {
  const trpc = useTRPC();
  const session = useSession();
  const queryClient = useQueryClient();
  const [namespace, setNamespace] = useState("");
  const query = useQuery(trpc.namespaces.protected.queryOptions());
  const refresh = () => refreshAfterChange(queryClient, { queryKey: trpc.namespaces.protected.queryKey() });
  const protect = useMutation(
    trpc.namespaces.protect.mutationOptions({
      onSuccess: async () => {
        setNamespace("");
        await refresh();
      },
    }),
  );
  const unprotect = useMutation(trpc.namespaces.unprotect.mutationOptions({ onSuccess: refresh }));
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    protect.mutate({ namespace: namespace.trim() });
  };
  return (
    <Panel title="Protected namespaces" id="protected-heading">
      {session.isAdmin ? (
        <form className="toolbar" aria-label="Protect a namespace" onSubmit={onSubmit}>
          <label>
            Namespace
            <input
              value={namespace}
              onChange={(e) => setNamespace(e.target.value)}
              placeholder="payments"
              required
              aria-invalid={protect.isError}
              aria-describedby={protect.isError ? "protect-error" : undefined}
              data-testid="protect-namespace-input"
            />
          </label>
          <button type="submit" className="btn btn-primary" disabled={protect.isPending || namespace.trim() === ""} data-testid="protect-namespace">
            Protect
          </button>
          <MutationError error={protect.error} id="protect-error" />
        </form>
      ) : null}
      <QueryState
        query={query}
        what="protected namespaces"
        isEmpty={(d) => d.length === 0}
        empty={<Empty title="No namespace is protected">Changes apply as soon as an operator makes them.</Empty>}
      >
        {(list) => (
          <DataTable columns={session.isAdmin ? ["Namespace", "Protected by", "Since", "Actions"] : ["Namespace", "Protected by", "Since"]} testId="protected-namespaces">
            {list.map((p) => (
              <tr key={p.namespace}>
                <td>{p.namespace}</td>
                <td>{p.createdBy}</td>
                <td>{formatDateTime(p.createdAt)}</td>
                {session.isAdmin ? (
                  <td>
                    <button
                      type="button"
                      className="btn btn-small"
                      disabled={unprotect.isPending}
                      onClick={() => unprotect.mutate({ namespace: p.namespace })}
                      aria-label={`Unprotect ${p.namespace}`}
                      data-testid="unprotect-namespace"
                    >
                      Unprotect
                    </button>
                  </td>
                ) : null}
              </tr>
            ))}
          </DataTable>
        )}
      </QueryState>
      <MutationError error={unprotect.error} />
    </Panel>
  );
}
