"use client";

import type { ReactNode } from "react";
import { toApiFailure } from "../../trpc/api-errors.ts";

/** A query in flight: announced politely to screen readers. */
export function Loading({ what }: { what: string }) {
  return (
    <p role="status" className="state state-loading" data-testid="state-loading">
      Loading {what}…
    </p>
  );
}

/** Nothing to show, and what to do about it. */
export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty" data-testid="state-empty">
      <p className="state-title">{title}</p>
      {children ? <div className="state-detail">{children}</div> : null}
    </div>
  );
}

/** A failed query or mutation, with the manager's reason. */
export function ErrorState({ error, title = "Something went wrong", onRetry }: { error: unknown; title?: string; onRetry?: () => void }) {
  const failure = toApiFailure(error);
  const heading =
    failure.kind === "forbidden" ? "You do not have access to this" : failure.kind === "unreachable" ? "Cannot reach the Weft manager API" : failure.kind === "not-found" ? "Not found" : title;
  return (
    <div role="alert" className="state state-error" data-testid="state-error">
      <p className="state-title">{heading}</p>
      <p className="state-detail">{failure.message}</p>
      {onRetry ? (
        <button type="button" className="btn" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/** Loading / error / empty / content for one query, in that order. */
export function QueryState<T>({
  query,
  what,
  isEmpty,
  empty,
  children,
}: {
  query: { isPending: boolean; isError: boolean; error: unknown; data: T | undefined; refetch: () => unknown };
  what: string;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  children: (data: T) => ReactNode;
}) {
  if (query.isPending) return <Loading what={what} />;
  if (query.isError || query.data === undefined) return <ErrorState error={query.error} title={`Could not load ${what}`} onRetry={() => void query.refetch()} />;
  if (isEmpty?.(query.data)) return <>{empty ?? <Empty title={`No ${what}`} />}</>;
  return <>{children(query.data)}</>;
}

/** A titled section of a page. */
export function Panel({ title, id, actions, children, className }: { title: string; id: string; actions?: ReactNode; children: ReactNode; className?: string }) {
  return (
    <section className={`panel ${className ?? ""}`} aria-labelledby={id}>
      <header className="panel-header">
        <h2 id={id}>{title}</h2>
        {actions ? <div className="panel-actions">{actions}</div> : null}
      </header>
      {children}
    </section>
  );
}
