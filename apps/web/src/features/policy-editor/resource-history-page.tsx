"use client";

import { useQuery } from "@tanstack/react-query";
import { isKind } from "@weft/mesh-model";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "../../trpc/context.ts";
import type { ChangeResultView } from "../../trpc/types.ts";
import { useSession } from "../shell/session.tsx";
import { hrefWithFilters } from "../shell/view-filters.ts";
import { formatDateTime } from "../ui/format.ts";
import { ErrorState, Loading } from "../ui/states.tsx";
import { ChangeResultPanel } from "./change-result.tsx";
import { HistoryPanel } from "./history-panel.tsx";

/**
 * One resource's revisions on a page of their own, whether or not the
 * resource still exists: what a link to a revision opens (the topology
 * replay's markers, a ticket). A deleted resource says who deleted it and
 * when, its deletion's diff shows what it held, and an earlier revision can
 * be restored from here; a live one links to its editor.
 */
export function ResourceHistoryPage() {
  const params = useSearchParams();
  const trpc = useTRPC();
  const session = useSession();
  const kindParam = params.get("kind") ?? "";
  const namespace = params.get("namespace") || "default";
  const name = params.get("name") ?? "";
  const kind = isKind(kindParam) ? kindParam : null;
  const [result, setResult] = useState<ChangeResultView | null>(null);
  const history = useQuery(trpc.resources.history.queryOptions({ kind: (kind ?? "HTTPRoute") as "HTTPRoute", namespace, name }, { enabled: Boolean(kind && name) }));
  const title = `${kind ?? kindParam} ${params.get("namespace") ? `${namespace}/` : ""}${name}`;
  let body;
  if (!kind || !name) body = <ErrorState error={new Error(`Name a resource: kind "${kindParam}" and name "${name}". Open a history from the Policies page or the topology replay.`)} title="No resource to show" />;
  else if (history.isPending) body = <Loading what={`the history of ${title}`} />;
  else if (history.isError) body = <ErrorState error={history.error} title={`Could not load the history of ${title}`} onRetry={() => void history.refetch()} />;
  else {
    const latest = history.data[0];
    const deleted = latest?.action === "delete";
    body = (
      <>
        {deleted && latest ? (
          <p className="notice notice-warning" data-testid="resource-deleted">
            Deleted by {latest.authorName} on {formatDateTime(latest.createdAt)}
            {latest.message ? ` (“${latest.message}”)` : ""}: revision {latest.revision}&apos;s diff shows what it held.
            {session.canEdit(namespace) ? " Roll back to an earlier revision to restore it." : ""}
          </p>
        ) : (
          <p>
            <Link className="btn" href={hrefWithFilters("/policies/edit", params, { kind, namespace, name })} data-testid="open-editor">
              Open in the editor
            </Link>
          </p>
        )}
        {result ? <ChangeResultPanel result={result} /> : null}
        <HistoryPanel resource={{ kind, namespace, name }} canEdit={session.canEdit(namespace)} onResult={setResult} />
      </>
    );
  }
  return (
    <>
      <div className="page-header">
        <h1>History of {title}</h1>
        <Link href={hrefWithFilters("/policies", params)}>All policies</Link>
      </div>
      {body}
    </>
  );
}
